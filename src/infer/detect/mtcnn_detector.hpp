// MTCNN face detector (Zhang et al. 2016) on the original Caffe weights (private to the core).
#pragma once

#include <cstddef>
#include <list>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "microfer/detect/face_detector.hpp"

namespace microfer {

/// The three-stage MTCNN cascade: P-Net over an image pyramid, R-Net on 24x24 crops, O-Net
/// on 48x48 crops with five landmarks, run through OpenCV's dnn module.
///
/// Requires: `modelDir` holds det1, det2, det3 .prototxt + .caffemodel (the MIT-licensed
/// release of kpzhang93/MTCNN_face_detection_alignment). The constructor loads the three nets
/// once and throws DetectorSetupError when a file is missing or cannot be parsed.
/// Guarantees for detect(): score is the O-Net face probability (> config.mtcnnThresholds[2]);
/// all five landmarks are set, in image pixels, in the order of FiveLandmarks.
/// One Caffe net definition, instantiated once per input shape. cv::dnn plans a net and
/// allocates all its blobs again whenever the input shape changes, and for MTCNN that cost
/// more than the arithmetic: the P-Net pyramid of a 640x480 frame (8 levels, one net) took
/// 8.0 ms, 3.3 ms with one net per level (the same outputs). The definition is read from
/// disk once; nets are built from memory as new shapes come and the least recently used
/// one goes when `capacity` are held.
class ShapedNets {
 public:
  /// Throws DetectorSetupError when the files are missing or are not a Caffe model.
  ShapedNets(const std::string& dir, const std::string& name, size_t capacity);
  /// The net for inputs of shape n x 3 x rows x cols (built on first use).
  cv::dnn::Net& forShape(int n, int rows, int cols);
  size_t size() const { return nets_.size(); }

 private:
  struct Entry {
    int n, rows, cols;
    cv::dnn::Net net;
  };
  cv::dnn::Net build() const;
  std::string name_, dir_;
  std::vector<char> proto_, weights_;
  size_t capacity_;
  std::list<Entry> nets_;  ///< most recently used first
};

class MtcnnDetector : public FaceDetector {
 public:
  MtcnnDetector(const std::string& modelDir, const DetectorConfig& config);

  std::vector<FaceDetection> detect(const cv::Mat& image) override;
  DetectorKind kind() const override { return DetectorKind::Mtcnn; }
  void setMinFaceSize(int px) override { config_.minFaceSize = px; }
  /// "p-net" (pyramid and P-Net, boxes after its NMS), "r-net", "o-net" (the faces).
  std::vector<DetectorStage> lastStages() const override { return stages_; }

  /// A candidate face between stages: a box in image pixels (corners, may extend past the
  /// image), its score and, after O-Net, the landmarks.
  struct Candidate {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    float score = 0;
    FiveLandmarks landmarks{};
  };

 private:
  std::vector<Candidate> runPNet(const cv::Mat& bgr);
  std::vector<Candidate> runRNet(const cv::Mat& bgr, const std::vector<Candidate>& boxes);
  std::vector<Candidate> runONet(const cv::Mat& bgr, const std::vector<Candidate>& boxes);

  DetectorConfig config_;
  ShapedNets pnet_, rnet_, onet_;
  std::vector<DetectorStage> stages_;
};

}  // namespace microfer
