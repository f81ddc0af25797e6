// The traditional baseline of the seed project: hand-crafted features + SVM.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace microfer {

enum class BaselineFeatures {
  Lbp,   ///< uniform LBP (8 neighbours, radius 1; 59 bins) histograms on a 6 x 6 grid
  Gabor  ///< Gabor bank (5 wavelengths x 8 orientations), mean magnitude on a 6 x 6 grid
};
BaselineFeatures parseBaselineFeatures(const std::string& name);

/// Feature vector (CV_32F, one row) of a gray crop (resized to 48 x 48 first).
cv::Mat baselineFeatures(const cv::Mat& gray, BaselineFeatures kind);

}  // namespace microfer
