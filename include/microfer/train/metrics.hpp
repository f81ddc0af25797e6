// Classification metrics from a confusion matrix.
#pragma once

#include <string>
#include <vector>

namespace microfer {

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int support = 0;
};

/// confusion[t][p] = number of samples of true class t predicted as p.
struct ConfusionMatrix {
  explicit ConfusionMatrix(int numClasses) : counts(numClasses, std::vector<int>(numClasses, 0)) {}
  void add(int truth, int predicted) { ++counts.at(truth).at(predicted); }
  int total() const;
  double accuracy() const;
  std::vector<ClassMetrics> perClass() const;
  /// Mean F1 over the classes that occur in the truth: the unweighted F1 (UF1) of the
  /// micro-expression challenges (MEGC) when computed over all held-out predictions.
  double macroF1() const;
  /// Mean recall over the classes that occur in the truth: the unweighted average recall
  /// (UAR) of MEGC.
  double unweightedAverageRecall() const;
  /// Adds another matrix of the same size (pooling folds).
  ConfusionMatrix& operator+=(const ConfusionMatrix& other);
  /// A readable report: per-class table, confusion matrix, and the final
  /// "accuracy=... macro_f1=... n=..." line.
  std::string report(const std::vector<std::string>& classNames) const;
  std::vector<std::vector<int>> counts;
};

}  // namespace microfer
