// Viola-Jones face detector on OpenCV's stock Haar cascades (private to the core library).
#pragma once

#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

#include "microfer/detect/face_detector.hpp"

namespace microfer {

/// Haar-cascade face detector: haarcascade_frontalface_default.xml for faces and, when
/// DetectorConfig::haarEyes is set, OpenCV's eye cascades run across the eye band of each face
/// (0.2 to 0.6 of its height).
///
/// Requires: the cascades in config.haarDir or, when that is empty, in one of the standard
/// OpenCV data folders (Debian package opencv-data). Throws DetectorSetupError otherwise.
/// Guarantees for detect(): score is 1.0 (the cascade gives no calibrated confidence);
/// landmarks are set only when both eyes were found, [0] = eye on the image's left, [1] = eye
/// on the image's right, and [2..4] (nose, mouth corners) are *estimates* placed from the
/// eye positions with the proportions of an average frontal face, so that aligners that only
/// use the eyes can rely on [0], [1] and the array is fully initialised.
class HaarDetector : public FaceDetector {
 public:
  explicit HaarDetector(const DetectorConfig& config);

  std::vector<FaceDetection> detect(const cv::Mat& image) override;
  DetectorKind kind() const override { return DetectorKind::Haar; }
  void setMinFaceSize(int px) override { config_.minFaceSize = px; }

  /// The folder the cascades were loaded from.
  const std::string& cascadeDir() const { return cascadeDir_; }

 private:
  /// Looks for the two eyes inside `face` (a box of the full-resolution gray image).
  /// Returns true and fills landmarks when one eye was found on each side of the face.
  bool findEyes(const cv::Mat& gray, const cv::Rect& face, FiveLandmarks& landmarks);

  DetectorConfig config_;
  std::string cascadeDir_;
  cv::CascadeClassifier faceCascade_;
  std::vector<cv::CascadeClassifier> eyeCascades_;  ///< tried in order until one finds a pair
};

}  // namespace microfer
