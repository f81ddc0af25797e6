// Subject-independent cross-validation of the trainer: k subject folds (CK+) or leave one
// subject out (micro-expressions). Every fold trains once and scores its held-out samples
// once, with the last epoch's model: no model selection ever looks at held-out data.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "microfer/train/dataset.hpp"
#include "microfer/train/metrics.hpp"
#include "microfer/train/trainer.hpp"

namespace microfer {

/// Leave-one-subject-out folds: fold f holds out the f-th subject in sorted order. Returns
/// the fold of every sample; `subjects`, when given, receives the subject of each fold.
/// Throws DatasetError if a sample has no subject or there are fewer than 2 subjects.
std::vector<int> leaveOneSubjectOutFolds(const std::vector<Sample>& samples,
                                         std::vector<std::string>* subjects = nullptr);

/// A fold's training settings where the user gives none: the small posed data sets that are
/// cross-validated (CK+: a few hundred crops) train 30 epochs at batch 32, with peak learning
/// rate 0.01 and one warm-up epoch from scratch, or 0.003 and no warm-up from a trained model
/// (`transfer`), quietly. (TrainConfig's own defaults are FER2013's: 24 / 128 / 0.1.)
TrainConfig foldTrainDefaults(bool transfer);

/// The outcome of one fold.
struct FoldResult {
  int fold = 0;
  std::vector<size_t> trainIndices;  ///< samples trained on (indices into the data set)
  std::vector<size_t> testIndices;   ///< held-out samples, in data set order
  std::vector<int> predicted;        ///< predicted label of each held-out sample
  ConfusionMatrix confusion{0};      ///< of the held-out samples (classes of the data set)
};

/// Runs folds 0 .. max(fold): fold f trains on every sample whose fold is not f, with
/// configFor(f) (give each fold its own outDir), and predicts the samples of fold f.
/// onFold, when given, is called after each fold (progress output).
/// Requires: fold.size() == data.samples.size(), every value >= 0, no fold empty.
std::vector<FoldResult> crossValidate(const Dataset& data, const std::vector<int>& fold,
                                      const std::function<TrainConfig(int)>& configFor,
                                      const std::function<void(const FoldResult&)>& onFold = {});

/// The sum of the folds' confusion matrices (all held-out predictions).
ConfusionMatrix pooledConfusion(const std::vector<FoldResult>& folds, int numClasses);

}  // namespace microfer
