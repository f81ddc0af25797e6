// Drawing results onto images: boxes, landmarks, labels, optional attention overlay.
#pragma once

#include <opencv2/core.hpp>

#include "microfer/types.hpp"

namespace microfer {

struct AnnotateOptions {
  bool landmarks = true;
  bool attention = false;      ///< blend each face's attention map over it (if present)
  bool probabilities = false;  ///< small bar chart of the 7 probabilities under each box
};

/// Colour (BGR) used for an expression everywhere (GUI and images).
cv::Scalar emotionColor(int label);

/// Draws onto `image` (8-bit BGR). Line width and font scale follow the image size so the
/// labels stay legible from thumbnails to 4K frames.
void annotate(cv::Mat& image, const FrameResult& result, const AnnotateOptions& options = {});

}  // namespace microfer
