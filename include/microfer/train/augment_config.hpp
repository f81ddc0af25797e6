// Training-time augmentation settings, shared by the OpenCV augmentation (augment.hpp) and
// the tensor augmentation of the device trainer (device_trainer.hpp). No OpenCV here.
#pragma once

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

  // What a webcam or a photo brings and FER2013's crops lack (the "domain gap" set; all off
  // by default, `train --robust` turns on domainGapAugment()'s values). Applied by
  // augmentCrop() only; the device trainer's tensor augmentation ignores them.
  float maxAspect = 0.f;          ///< x and y scales differ by up to +-this (aligned-crop shape)
  float blurProbability = 0.f;    ///< Gaussian blur (defocus, motion-free)
  float maxBlurSigma = 0.f;       ///< sigma up to this, pixels of the crop
  float jpegProbability = 0.f;    ///< re-encoded as JPEG
  int minJpegQuality = 100;       ///< quality drawn from [minJpegQuality, 95]
  float gammaProbability = 0.f;   ///< v' = v^gamma, log-uniform in [1/maxGamma, maxGamma]
  float maxGamma = 1.f;
  float shadeProbability = 0.f;   ///< uneven light: a linear gain ramp in a random direction
  float maxShade = 0.f;           ///< the gain runs from 1 - s to 1 + s across the crop
  float occlusionProbability = 0.f;  ///< a hand-like blob from an edge, or glasses' rims
};

/// The domain-gap augmentation values used by `train --robust` (on top of `base`).
inline AugmentConfig domainGapAugment(AugmentConfig base = {}) {
  base.maxAspect = 0.08f;
  base.blurProbability = 0.2f;
  base.maxBlurSigma = 1.2f;
  base.jpegProbability = 0.2f;
  base.minJpegQuality = 25;
  base.gammaProbability = 0.3f;
  base.maxGamma = 1.6f;
  base.shadeProbability = 0.3f;
  base.maxShade = 0.35f;
  base.occlusionProbability = 0.15f;
  return base;
}

}  // namespace microfer
