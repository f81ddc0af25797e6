#include "microfer/pipeline.hpp"

#include <chrono>
#include <thread>

#include "microfer/trainer.hpp"

namespace microfer {

namespace {
double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

void configureRuntime(int threads) {
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  tuneRuntimeForTorch(threads);
}

Pipeline::Pipeline(const PipelineConfig& config) : config_(config) {
  // The classifier first: its model file defines the crop geometry the aligner must use.
  classifier_ = std::make_unique<ExpressionClassifier>(config.classifier);
  aligner_ = FaceAligner(classifier_->cropGeometry());
  detector_ = createFaceDetector(config.detector);
}

Pipeline::~Pipeline() = default;

void Pipeline::setTta(const TtaConfig& tta) {
  classifier_->setTta(tta);
  config_.classifier.tta = tta;
}

void Pipeline::setDetector(const DetectorConfig& config) {
  auto fresh = createFaceDetector(config);  // throws before anything changes
  detector_ = std::move(fresh);
  config_.detector = config;
}

FrameResult Pipeline::process(const cv::Mat& image, const std::string& source,
                              long long frameIndex) {
  FrameResult r;
  r.source = source;
  r.frameIndex = frameIndex;
  r.imageSize = image.size();
  if (image.empty()) return r;
  auto t = std::chrono::steady_clock::now();
  std::vector<FaceDetection> faces = detector_->detect(image);
  if (config_.maxFaces > 0 && static_cast<int>(faces.size()) > config_.maxFaces)
    faces.resize(config_.maxFaces);
  r.detectMs = msSince(t);

  t = std::chrono::steady_clock::now();
  const cv::Mat gray = toGray(image);
  std::vector<cv::Mat> crops;
  r.faces.resize(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    r.faces[i].detection = faces[i];
    r.faces[i].aligned = aligner_.alignGray(gray, faces[i]);
    crops.push_back(r.faces[i].aligned.crop);
  }
  r.alignMs = msSince(t);

  t = std::chrono::steady_clock::now();
  if (!crops.empty()) {
    std::vector<Prediction> preds = classifier_->classify(crops, config_.withAttention);
    for (size_t i = 0; i < preds.size(); ++i) r.faces[i].prediction = std::move(preds[i]);
  }
  r.classifyMs = msSince(t);
  return r;
}

}  // namespace microfer
