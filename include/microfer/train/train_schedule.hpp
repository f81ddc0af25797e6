// Pieces of the training recipe shared by the CPU trainer (trainer.hpp, OpenCV augmentation)
// and the tensor trainer (device_trainer.hpp, augmentation on the GPU). No OpenCV here.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace torch::optim {
class SGD;
}

namespace microfer {

enum class ClassBalance {
  None,    ///< plain cross-entropy
  Sqrt,    ///< class weights proportional to 1/sqrt(class frequency), mean weight 1
  Inverse  ///< class weights proportional to 1/frequency, mean weight 1
};

/// Loss weight of every class from its sample count; weights average 1 over the samples.
/// Classes without samples get weight 1.
std::vector<float> balanceWeights(const std::vector<int>& counts, ClassBalance balance);

/// Learning rate at optimisation step `step` (0-based): linear warm-up over `warmupSteps`,
/// then cosine decay from `peak` to 0 at `totalSteps`.
double scheduledLr(long step, long totalSteps, double warmupSteps, double peak);

/// Sets the learning rate of every parameter group of `optimiser` (each step of a schedule).
void setLearningRate(torch::optim::SGD& optimiser, double lr);

/// Length of a schedule fitted into a time budget: `done` epochs have run in `usedSeconds`,
/// the next ones are expected to take `secondsPerEpoch`; 10 % of what is left is kept back
/// for slower epochs. Never more than `planned`, never fewer than `done`.
int epochsWithinBudget(int planned, int done, double secondsPerEpoch, double usedSeconds,
                       double budgetSeconds);

/// One epoch of either trainer; -1 marks what that run did not measure.
struct EpochMetrics {
  int epoch = 0;  ///< 1-based
  double trainLoss = 0, trainAccuracy = 0;
  double valLoss = -1, valAccuracy = -1;  ///< -1 when there is no validation set
  double valFlipAccuracy = -1;            ///< flip TTA (the tensor trainer measures it)
  double lr = 0, seconds = 0, imagesPerSecond = 0;
};

/// The metrics.csv both trainers write (one schema; `microfer-train curves` reads it):
/// epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_flip_accuracy,lr,seconds,
/// images_per_second — a header line, then one line per epoch.
std::string metricsCsv(const std::vector<EpochMetrics>& history);

/// An epoch's metrics as the checkpoints of both trainers of train() and the face teacher
/// keep them (checkpoint.json's "history"), and back.
nlohmann::json epochMetricsJson(const EpochMetrics& m);
EpochMetrics epochMetricsFromJson(const nlohmann::json& j);

}  // namespace microfer
