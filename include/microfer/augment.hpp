// Training-time augmentation of face crops.
#pragma once

#include <opencv2/core.hpp>
#include <random>

namespace microfer {

struct AugmentConfig {
  float maxRotationDeg = 15.f;
  float minScale = 0.9f, maxScale = 1.1f;
  float maxShift = 0.1f;  ///< fraction of the crop side
  bool flip = true;
  float brightness = 0.2f;        ///< +- fraction of the pixel range
  float contrast = 0.2f;          ///< gain in [1 - c, 1 + c]
  float eraseProbability = 0.5f;  ///< random erasing (Zhong et al. 2020)
  float eraseMinArea = 0.02f, eraseMaxArea = 0.25f;
};

/// Random affine (rotation, scale, shift, flip), brightness/contrast, then normalisation
/// ((v/255 - mean)/std) and random erasing (erased pixels get normal noise).
/// `in` is CV_8UC1; `out` (CV_32FC1, same size) may wrap a caller's buffer.
void augmentCrop(const cv::Mat& in, cv::Mat& out, std::mt19937& rng, const AugmentConfig& config,
                 float mean, float stdDev);

/// Normalisation only: (v/255 - mean)/std into `out` (CV_32FC1).
void normaliseCrop(const cv::Mat& in, cv::Mat& out, float mean, float stdDev);

}  // namespace microfer
