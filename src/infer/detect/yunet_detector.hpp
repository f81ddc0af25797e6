// YuNet face detector (Wu, Peng, Yu 2023, libfacedetection.train; Apache-2.0) on its ONNX
// release, through OpenCV's dnn module (private to the core).
#pragma once

#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "microfer/detect/face_detector.hpp"

namespace microfer {

/// YuNet-n: one anchor-free network over the whole frame, five landmarks per face.
///
/// Requires: `modelDir` holds yunet_n_320_320.onnx (OpenCV 4.6 cannot read the
/// dynamic-shape release; it runs this one at any input size that is a multiple of 32, with
/// the same outputs as the 640 x 640 release at 640 x 640). The constructor loads it once and
/// throws DetectorSetupError when the file is missing or cannot be parsed.
///
/// Input size: the frame is scaled, keeping its aspect, so that its longer side is 320 and
/// padded at the right and bottom to multiples of 32 (640 x 480 -> 320 x 256); where that
/// would shrink a face of DetectorConfig::minFaceSize below kSmallestInputFace pixels, the
/// longer side is 640 instead (small faces, large frames). A new input shape costs about 1 ms
/// once (cv::dnn plans the net again); a video keeps one shape. The score of a cell is sqrt(cls * obj); cells above
/// yunetScoreThreshold are decoded (box centre = (cell + offset) * stride, size =
/// exp(log-size) * stride; landmarks = (cell + offset) * stride) and suppressed by IoU above
/// yunetNmsThreshold. Boxes whose longer side is under minFaceSize are dropped.
/// Guarantees for detect(): all five landmarks are set, in image pixels, in the order of
/// FiveLandmarks (YuNet's own order: the eye on the image's left first).
class YunetDetector : public FaceDetector {
 public:
  /// The smallest face side, in network input pixels, that the 320 network is trusted with.
  /// At 12, faces of 20 px in 500 px photos went through the 320 network at 13 px: one of the
  /// 43 dlib faces was boxed off (IoU 0.46) and 6 of 42 had an eye off by more than a quarter
  /// of the inter-ocular distance; at 20 they go through the 640 network: 43/43 and 2 of 43.
  static constexpr int kSmallestInputFace = 20;

  YunetDetector(const std::string& modelDir, const DetectorConfig& config);
  std::vector<FaceDetection> detect(const cv::Mat& image) override;
  DetectorKind kind() const override { return DetectorKind::Yunet; }
  bool wholeFrameIsCheapest() const override { return true; }
  void setMinFaceSize(int px) override { config_.minFaceSize = px; }
  /// "yunet-320" or "yunet-640" (the network used, and the cells above the score threshold),
  /// then "nms" (the faces kept).
  std::vector<DetectorStage> lastStages() const override { return stages_; }
  /// The longer input side (320 or 640) detect() uses for a frame of this size.
  int inputSideFor(const cv::Size& frame) const;

 private:
  DetectorConfig config_;
  cv::dnn::Net net_;
  std::vector<std::string> outputs_;
  std::vector<DetectorStage> stages_;
};

}  // namespace microfer
