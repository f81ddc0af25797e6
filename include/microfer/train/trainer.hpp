// Training of the expression network on face crops (LibTorch; CPU, or CUDA when present).
#pragma once

#include <random>
#include <string>
#include <vector>

#include "microfer/runtime/runtime.hpp"  // tuneRuntimeForTorch()
#include "microfer/train/augment.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/train/train_schedule.hpp"

namespace microfer {

struct TrainConfig {
  NetworkConfig network;
  int epochs = 24;
  int batchSize = 128;
  double lr = 0.1;  ///< peak learning rate (SGD, Nesterov momentum)
  double momentum = 0.9;
  double weightDecay = 5e-4;
  double labelSmoothing = 0.1;
  double warmupEpochs = 1.0;  ///< linear warm-up, then cosine decay to 0
  ClassBalance balance = ClassBalance::Sqrt;
  /// Balance each source's classes within that source (a loss weight per image, by its
  /// source and class) instead of the classes of all sources pooled: a source with its own
  /// class mix (lfw-expressions: 92 % happy or neutral) then does not teach the network its
  /// mix as a prior for faces that look like it. Each source keeps its share of the loss.
  bool balancePerSource = false;
  /// Multi-source training (Sample::source): per-source sampling weights. Each epoch draws
  /// every image of source s weight[s] times on average (the integer part exactly, the
  /// fraction as a random subset without repeats), so an epoch has round(sum w_s n_s)
  /// images; class balancing counts the images as drawn. Empty = 1 for every source.
  std::vector<double> sourceWeights;
  AugmentConfig augment;
  float mean = 0.5f, stdDev = 0.25f;
  unsigned seed = 1;
  std::string outDir = "runs/train";  ///< checkpoints, metrics.csv, curves.png, best.mfm
  bool resume = false;                ///< continue from outDir's checkpoint if there is one
  std::string initModel;              ///< fine-tune: start from this model file's weights
  /// With initModel: the final (classifier) layer is not copied but starts fresh, so the
  /// init model may have another number of classes (transfer to another label set, e.g.
  /// FER2013 -> CASME II). The rest of the architecture must still match.
  bool initNewClassifier = false;
  /// Progressive resizing: the first `lowResEpochs` epochs train on crops resampled to
  /// lowResSize x lowResSize (the network ends in global pooling), the rest at the network's
  /// input size, which validation and the saved model always use. 0 = off.
  int lowResSize = 0;
  int lowResEpochs = 0;
  /// Knowledge distillation (Hinton et al. 2015): teacher model files (one, or several whose
  /// softened probabilities are averaged: an ensemble), run on the same augmented batch. The
  /// loss is (1 - distillWeight) * cross-entropy + distillWeight * T^2 * KL(teacher_T ||
  /// student_T), with T = distillTemperature. A teacher may be larger than the student; it
  /// must have the same classes. Empty = no distillation.
  std::vector<std::string> teacherModels;
  /// A teacher per source instead: entry i lists the model files whose averaged softened
  /// probabilities the images of source i (Sample::source) learn; one entry per source, none
  /// empty (a model named in several entries is loaded once). Exclusive with teacherModels.
  std::vector<std::vector<std::string>> sourceTeacherModels;
  double distillWeight = 0.5;
  double distillTemperature = 2.0;
  int maxBatchesPerEpoch = 0;  ///< >0 limits each epoch (smoke tests)
  /// >0: return after this many epochs of the `epochs`-long schedule (as if interrupted).
  int stopAfterEpochs = 0;
  bool quiet = false;  ///< no progress output
  std::string modelName = "microfer-resnet10";
  std::string notes;  ///< stored in the model files
};

struct TrainResult {
  std::vector<EpochMetrics> history;
  int bestEpoch = 0;                 ///< epoch of the best validation accuracy (or the last epoch)
  std::string bestModel, lastModel;  ///< paths of the written model files
};

/// The training order of one epoch under TrainConfig::sourceWeights: indices into
/// `samples`, shuffled; deterministic for a generator state. Its length is the same every
/// epoch (epochDraws()).
std::vector<int> epochOrder(const std::vector<Sample>& samples,
                            const std::vector<double>& sourceWeights, std::mt19937& rng);
size_t epochDraws(const std::vector<Sample>& samples, const std::vector<double>& sourceWeights);

/// Loss weight of each (source, class) under `balance`: rows = sources (as many as the
/// highest Sample::source + 1), columns = classes. Counts are taken as an epoch draws them
/// (source weights applied); pooled over all sources (every row the same) or, with
/// `perSource`, within each source, so each source's weights average 1 over its images.
std::vector<std::vector<float>> classWeightTable(const std::vector<Sample>& samples,
                                                 const std::vector<double>& sourceWeights,
                                                 ClassBalance balance, bool perSource,
                                                 int numClasses);

/// Accuracy on a validation set of one or more sources (Sample::source): the mean over its
/// sources of each source's accuracy, so a large source does not drown a small one; with one
/// source it is the plain accuracy. `perSource` (optional) receives each source's accuracy.
double validationScore(const std::vector<Sample>& samples,
                       const std::vector<std::vector<float>>& probs,
                       std::vector<double>* perSource = nullptr);

/// Trains on `train`, validating on `val` after every epoch when it is non-null. Writes a
/// checkpoint after every epoch (resumable, deterministic for a seed), metrics.csv,
/// curves.png, last.mfm, and best.mfm (best validation accuracy; model selection never
/// touches test data unless the caller passes it as `val`).
TrainResult train(const Dataset& train, const Dataset* val, const TrainConfig& config);

/// One training batch: the augmented crops (N x 1 x size x size, normalised), hard labels, a
/// loss weight per image (its class's weight, pooled or within its source:
/// TrainConfig::balancePerSource) and, where `softTargets`, each image's target distribution
/// (its FER+ votes, or its label smoothed by TrainConfig::labelSmoothing).
struct TrainingBatch {
  torch::Tensor x, y, w, target;
};
/// Images order[first .. first + count) of `trainSet`, augmented with `rng`; `weightTable` as
/// classWeightTable() returns it.
TrainingBatch makeTrainingBatch(const Dataset& trainSet, const std::vector<int>& order, int first,
                                int count, int size, std::mt19937& rng, const TrainConfig& cfg,
                                const std::vector<std::vector<float>>& weightTable,
                                bool softTargets);
/// Cross-entropy against each row's target distribution, the weighted mean over the batch.
torch::Tensor softTargetLoss(const torch::Tensor& logits, const torch::Tensor& target,
                             const torch::Tensor& weight);

/// Plain forward pass (no TTA) over crops; returns N x classes probabilities.
std::vector<std::vector<float>> predictCrops(MicroAttentionResNet& model,
                                             const std::vector<cv::Mat>& crops, float mean,
                                             float stdDev, int batchSize = 256);


}  // namespace microfer
