// Alignment: warps a detected face upright into the classifier's canonical crop.
#pragma once

#include <opencv2/core.hpp>

#include "microfer/types.hpp"

namespace microfer {

/// Where the eyes land in the canonical crop. The defaults reproduce the framing of the
/// FER2013 crops the model is trained on (whole face, forehead to chin, 48 x 48 gray).
/// Measured by `microfer-train geometry --data ../shared/data/fer2013/train --max 200`
/// (1,400 training crops, padded and upscaled x3): MTCNN puts the eye centres at
/// 31.7 % and 68.7 % of the width and 37.4 % of the height; a Haar box is 45.8 px of 48,
/// centred. See docs/TRAINING.md, "Crop geometry".
struct CropGeometry {
  int size = 48;             ///< square crop side, pixels
  float leftEyeX = 0.315f;   ///< eye on the image's left, as a fraction of `size`
  float rightEyeX = 0.685f;  ///< eye on the image's right
  float eyeY = 0.375f;       ///< both eyes, fraction of `size`
  /// Box-only faces (no eyes found): the square crop side is the box side times this
  /// factor (Haar boxes are slightly smaller than the FER2013 framing).
  float boxScale = 1.05f;
  /// Box-only faces: the crop centre is the box centre shifted down by this fraction of
  /// the box height.
  float boxShiftY = 0.0f;
};

/// FaceAligner: maps a detected face to an upright crop of fixed geometry.
///
/// Requires: an 8-bit image with 1, 3 (BGR) or 4 (BGRA) channels.
/// Guarantees: the crop is CV_8UC1 of size geometry.size; when the detection has eye
/// landmarks, the eye centres land on (leftEyeX*size, eyeY*size) and
/// (rightEyeX*size, eyeY*size) exactly (a similarity transform: rotation, uniform scale,
/// translation); otherwise the box is used without rotation. Pixels outside the image are
/// filled by border replication. `transform` maps image pixels to crop pixels.
/// Thread-safety: const and stateless apart from the geometry; safe to share.
class FaceAligner {
 public:
  explicit FaceAligner(const CropGeometry& geometry = {}) : geometry_(geometry) {}
  AlignedFace align(const cv::Mat& image, const FaceDetection& face) const;
  /// The same, on an image already converted to 8-bit gray (saves a conversion per face).
  AlignedFace alignGray(const cv::Mat& gray, const FaceDetection& face) const;
  const CropGeometry& geometry() const { return geometry_; }

 private:
  CropGeometry geometry_;
};

/// Converts an 8-bit gray, BGR or BGRA image to 8-bit gray (a gray image is returned as is).
/// Throws std::invalid_argument for another depth or number of channels.
cv::Mat toGray(const cv::Mat& image);
/// The same to 8-bit BGR (a BGR image is returned as is): the detectors' input.
cv::Mat toBgr(const cv::Mat& image);

}  // namespace microfer
