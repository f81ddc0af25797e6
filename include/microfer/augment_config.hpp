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
};

}  // namespace microfer
