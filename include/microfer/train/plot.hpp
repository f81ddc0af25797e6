// Small charts drawn with OpenCV (no Python): training curves and confusion matrices, on the
// drawing primitives of microfer/output/chart.hpp (shared with the expression timeline).
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "microfer/capture/image_io.hpp"  // writeImageAtomically()
#include "microfer/train/metrics.hpp"

namespace microfer {

struct Series {
  std::string name;
  std::vector<double> values;  ///< y for x = 1, 2, ...
  cv::Scalar color;
  bool rightAxis = false;  ///< plotted against the right axis (e.g. loss next to accuracy)
};

/// Draws the series as lines against epochs. Left axis 0..1, right axis 0..max.
cv::Mat plotSeries(const std::string& title, const std::vector<Series>& series);

/// The training curves of a run (one value per epoch): train accuracy, validation accuracy,
/// validation accuracy with flip TTA (left out when empty) and train loss (right axis).
cv::Mat plotTrainingCurves(const std::string& title, std::vector<double> trainAccuracy,
                           std::vector<double> valAccuracy, std::vector<double> valFlipAccuracy,
                           std::vector<double> trainLoss);
/// Confusion matrix as a heat map, row-normalised, with counts in the cells.
cv::Mat plotConfusion(const ConfusionMatrix& cm, const std::vector<std::string>& names,
                      const std::string& title);

}  // namespace microfer
