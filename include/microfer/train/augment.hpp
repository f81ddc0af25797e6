// Training-time augmentation of face crops.
#pragma once

#include <opencv2/core.hpp>
#include <random>

#include "microfer/classify/expression_classifier.hpp"  // normaliseCrop()
#include "microfer/train/augment_config.hpp"

namespace microfer {

/// Random affine (rotation, scale, shift, flip), brightness/contrast, then normalisation
/// ((v/255 - mean)/std) and random erasing (erased pixels get normal noise).
/// `in` is CV_8UC1; `out` (CV_32FC1) may wrap a caller's buffer. An empty `out` gets `in`'s
/// size; a pre-sized `out` of another size receives the same view resampled to its size
/// (progressive resizing: early epochs on smaller crops).
void augmentCrop(const cv::Mat& in, cv::Mat& out, std::mt19937& rng, const AugmentConfig& config,
                 float mean, float stdDev);


}  // namespace microfer
