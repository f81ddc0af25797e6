// Calibration of the classifier's probabilities (temperature scaling, Guo et al. 2017) and
// the "uncertain" threshold, both fitted on validation parts only.
#pragma once

#include <vector>

namespace microfer {

/// Faces of a validation set as the classifier sees them: every TTA view's logits.
struct ViewLogits {
  std::vector<std::vector<float>> logits;  ///< per face: views x classes, view-major
  std::vector<int> labels;                 ///< true class per face
  std::vector<float> weights;              ///< the TTA views' weights
  int classes = 7;
};

/// Top probability and whether the argmax is right, per face, at a temperature.
struct Confidences {
  std::vector<float> top;
  std::vector<bool> right;
};
Confidences confidencesAt(const ViewLogits& v, float temperature);

/// Mean negative log-likelihood of the true class at a temperature.
double negativeLogLikelihood(const ViewLogits& v, float temperature);

/// Expected calibration error: faces binned by top probability into `bins` equal-width bins;
/// the mean over faces of |accuracy of its bin - mean confidence of its bin|.
double expectedCalibrationError(const Confidences& c, int bins = 15);

/// The temperature in [0.3, 8] (steps of 0.01) with the lowest NLL.
float fitTemperature(const ViewLogits& v);

/// The "uncertain" threshold: the largest t in 0.30, 0.31, ..., 0.70 such that the faces whose
/// top probability lies in the band [t - 0.05, t) — at least `minFaces` of them — are right
/// at most half of the time: just below t a label is more likely wrong than right. 0 when no
/// t qualifies (then no face is flagged).
float chooseUncertainThreshold(const Confidences& c, int minFaces = 30);

}  // namespace microfer
