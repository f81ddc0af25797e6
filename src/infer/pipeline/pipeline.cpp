#include "microfer/pipeline/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "microfer/pipeline/quality_controller.hpp"

namespace microfer {

namespace {
double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

/// How much a face must overlap its box of the last frame to be the same face (the search
/// near the last faces, and the predictions a followed face keeps).
constexpr float kSameFaceIou = 0.3f;

FrameResult describeFrame(const cv::Mat& image, const std::string& source, long long frameIndex) {
  FrameResult r;
  r.source = source;
  r.frameIndex = frameIndex;
  r.imageSize = image.size();
  return r;
}

/// Detections come sorted by size, largest first.
std::vector<FaceDetection> keepLargest(std::vector<FaceDetection> faces, int maxFaces) {
  if (maxFaces > 0 && static_cast<int>(faces.size()) > maxFaces) faces.resize(maxFaces);
  return faces;
}
}  // namespace

std::string validate(const PipelineConfig& c) {
  const auto number = [](double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  if (c.detector.minFaceSize < kSmallestMinFace || c.detector.minFaceSize > kLargestMinFace)
    return "minimum face size (--min-face) must be " + std::to_string(kSmallestMinFace) +
           " to " + std::to_string(kLargestMinFace) + " pixels, got " + std::to_string(c.detector.minFaceSize);
  for (float t : c.detector.mtcnnThresholds)
    if (!(t > 0.f && t < 1.f))
      return "MTCNN thresholds (--mtcnn-thresholds) must each lie between 0 and 1, got " + number(t);
  if (!(c.detector.yunetScoreThreshold > 0.f && c.detector.yunetScoreThreshold < 1.f) ||
      !(c.detector.yunetNmsThreshold > 0.f && c.detector.yunetNmsThreshold < 1.f))
    return "YuNet thresholds (--yunet-thresholds) must each lie between 0 and 1, got " +
           number(c.detector.yunetScoreThreshold) + "," + number(c.detector.yunetNmsThreshold);
  if (!(c.detector.mtcnnPyramidFactor > 0.1f && c.detector.mtcnnPyramidFactor < 0.95f))
    return "MTCNN pyramid factor must lie between 0.1 and 0.95, got " +
           number(c.detector.mtcnnPyramidFactor);
  if (c.classifier.minConfidence >= 0.f ? c.classifier.minConfidence > 1.f
                                        : c.classifier.minConfidence != -1.f)
    return "minimum confidence (--min-confidence) must lie between 0 and 1 (or -1: the model's own), got " +
           number(c.classifier.minConfidence);
  if (c.classifier.threads < 0)
    return "threads (--threads) must be 0 (every core) or more, got " + std::to_string(c.classifier.threads);
  if (c.detectEvery < 1)
    return "--detect-every must be at least 1, got " + std::to_string(c.detectEvery);
  if (c.classifyEvery < 1 || c.classifyEvery > kLargestClassifyEvery)
    return "classify every must be 1 to " + std::to_string(kLargestClassifyEvery) +
           " frames, got " + std::to_string(c.classifyEvery);
  if (c.maxFaces < 0)
    return "--max-faces must be 0 (all) or more, got " + std::to_string(c.maxFaces);
  return "";
}

Pipeline::Pipeline(const PipelineConfig& config) : config_(config) {
  if (const std::string problem = validate(config); !problem.empty())
    throw std::invalid_argument(problem);
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
  resetStream();
}

namespace {
/// `changed` when validate() accepts it; else std::invalid_argument with its message.
const PipelineConfig& checked(const PipelineConfig& changed) {
  if (const std::string problem = validate(changed); !problem.empty())
    throw std::invalid_argument(problem);
  return changed;
}
}  // namespace

void Pipeline::setDetectEvery(int n) {
  PipelineConfig changed = config_;
  changed.detectEvery = n;
  config_ = checked(changed);
}

void Pipeline::setClassifyEvery(int n) {
  PipelineConfig changed = config_;
  changed.classifyEvery = n;
  config_ = checked(changed);
}

void Pipeline::setMinFaceSize(int px) {
  PipelineConfig changed = config_;
  changed.detector.minFaceSize = px;
  checked(changed);
  detector_->setMinFaceSize(px);
  config_.detector.minFaceSize = px;
}

FrameResult Pipeline::process(const cv::Mat& image, const std::string& source,
                              long long frameIndex) {
  FrameResult r = describeFrame(image, source, frameIndex);
  r.quality = qualityTag(config_.classifier.tta.mode, 1, config_.detector.minFaceSize);
  if (image.empty()) return r;
  const auto t = std::chrono::steady_clock::now();
  std::vector<FaceDetection> faces = keepLargest(detector_->detect(image), config_.maxFaces);
  r.detectMs = msSince(t);
  return classifyFaces(image, std::move(faces), std::move(r));
}

void Pipeline::resetStream() {
  streamFaces_.clear();
  framesSinceFullDetection_ = 0;
  lastClassified_.clear();
  framesSinceClassify_ = 0;
}

FrameResult Pipeline::processStream(const cv::Mat& image, const std::string& source,
                                    long long frameIndex) {
  FrameResult r = describeFrame(image, source, frameIndex);
  r.quality = qualityTag(config_.classifier.tta.mode, config_.detectEvery,
                         config_.detector.minFaceSize, config_.classifyEvery);
  if (image.empty()) {
    resetStream();
    return r;
  }
  const auto t = std::chrono::steady_clock::now();
  std::vector<FaceDetection> faces;
  const bool dueForFull = config_.detectEvery <= 1 || detector_->wholeFrameIsCheapest() ||
                          streamFaces_.empty() ||
                          framesSinceFullDetection_ + 1 >= config_.detectEvery;
  bool followed = false;  // every face of the last frame found again near its last box
  const size_t lastCount = streamFaces_.size();
  if (dueForFull || !detectNearPrevious(image, faces)) {
    faces = detector_->detect(image);
    framesSinceFullDetection_ = 0;
    ++wholeFrameSearches_;
  } else {
    ++framesSinceFullDetection_;
    ++nearSearches_;
    // Two faces found as one is a face lost: that frame is classified.
    followed = faces.size() == lastCount;
  }
  faces = keepLargest(std::move(faces), config_.maxFaces);
  streamFaces_ = faces;
  r.detectMs = msSince(t);
  if (followed && framesSinceClassify_ + 1 < config_.classifyEvery &&
      lastClassifiedAttention_ == config_.withAttention &&
      reusePredictions(image, faces, framesSinceClassify_ + 1, r)) {
    ++framesSinceClassify_;
    return r;
  }
  r = classifyFaces(image, std::move(faces), std::move(r));
  framesSinceClassify_ = 0;
  // Kept only where a later frame may reuse it (at classifyEvery 1 the first frame of a
  // higher value classifies and starts it).
  if (config_.classifyEvery > 1) {
    lastClassified_ = r.faces;
    lastClassifiedAttention_ = config_.withAttention;
  } else {
    lastClassified_.clear();
  }
  return r;
}

bool Pipeline::detectNearPrevious(const cv::Mat& image, std::vector<FaceDetection>& faces) {
  // The window reaches half a face beyond the last box on every side: at 30 FPS a face
  // moves far less than that between frames.
  constexpr float kMargin = 0.5f;
  // Large faces are searched in a window scaled down so the face is about this wide: the
  // detector then scans a few small pyramid levels instead of many large ones.
  constexpr float kFaceSide = 80.f;
  // The face found in the window must still overlap the last box kSameFaceIou; a detection
  // elsewhere in the window is another face, left to the next whole-frame search.
  const cv::Rect frame(0, 0, image.cols, image.rows);
  const float minFace = static_cast<float>(config_.detector.minFaceSize);
  faces.clear();
  for (const FaceDetection& last : streamFaces_) {
    const float side = std::max(last.box.width, last.box.height);
    const float m = kMargin * side;
    const cv::Rect window = cv::Rect(cv::Rect2f(last.box.x - m, last.box.y - m,
                                                last.box.width + 2 * m, last.box.height + 2 * m)) &
                            frame;
    if (window.width < minFace || window.height < minFace) return false;
    const float scale = std::min(1.f, std::max(kFaceSide, 1.25f * minFace) / side);
    cv::Mat view = image(window);
    if (scale < 1.f) cv::resize(view, view, cv::Size(), scale, scale, cv::INTER_AREA);
    const cv::Point2f offset(static_cast<float>(window.x), static_cast<float>(window.y));
    auto toFrame = [&](const cv::Point2f& p) { return p * (1.f / scale) + offset; };

    int best = -1;
    float bestIou = kSameFaceIou;
    std::vector<FaceDetection> found = detector_->detect(view);
    for (size_t i = 0; i < found.size(); ++i) {
      cv::Rect2f& b = found[i].box;
      b = cv::Rect2f(toFrame(b.tl()), toFrame(b.br()));
      const float overlap = iou(b, last.box);
      if (overlap >= bestIou) {
        bestIou = overlap;
        best = static_cast<int>(i);
      }
    }
    if (best < 0) return false;
    FaceDetection f = found[static_cast<size_t>(best)];
    if (f.landmarks)
      for (auto& p : *f.landmarks) p = toFrame(p);
    // Two faces of the last frame may have been found as the same face now.
    bool duplicate = false;
    for (const auto& g : faces) {
      const float inter = (g.box & f.box).area();
      duplicate |= inter > 0.5f * std::min(g.box.area(), f.box.area());
    }
    if (!duplicate) faces.push_back(f);
  }
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection& a, const FaceDetection& b) {
    return a.box.area() > b.box.area();
  });
  return true;
}

bool Pipeline::reusePredictions(const cv::Mat& image, const std::vector<FaceDetection>& faces,
                                int age, FrameResult& r) const {
  if (faces.empty() || faces.size() != lastClassified_.size()) return false;
  // One to one: each last face gives its prediction to one face at most.
  std::vector<const Prediction*> kept;
  std::vector<bool> taken(lastClassified_.size(), false);
  for (const FaceDetection& f : faces) {
    int best = -1;
    float bestIou = kSameFaceIou;
    for (size_t j = 0; j < lastClassified_.size(); ++j) {
      const float overlap = iou(f.box, lastClassified_[j].detection.box);
      if (!taken[j] && overlap >= bestIou) {
        bestIou = overlap;
        best = static_cast<int>(j);
      }
    }
    if (best < 0) return false;
    taken[static_cast<size_t>(best)] = true;
    kept.push_back(&lastClassified_[static_cast<size_t>(best)].prediction);
  }
  alignFaces(image, faces, r);
  for (size_t i = 0; i < faces.size(); ++i) {
    r.faces[i].prediction = *kept[i];
    r.faces[i].predictionAge = age;
  }
  r.classifyMs = 0;
  return true;
}

void Pipeline::alignFaces(const cv::Mat& image, const std::vector<FaceDetection>& faces,
                          FrameResult& r) const {
  const auto t = std::chrono::steady_clock::now();
  const cv::Mat gray = toGray(image);
  r.faces.resize(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    r.faces[i].detection = faces[i];
    r.faces[i].aligned = aligner_.alignGray(gray, faces[i]);
  }
  r.alignMs = msSince(t);
}

FrameResult Pipeline::classifyFaces(const cv::Mat& image, std::vector<FaceDetection> faces,
                                    FrameResult r) {
  alignFaces(image, faces, r);
  std::vector<cv::Mat> crops;
  for (const FaceResult& f : r.faces) crops.push_back(f.aligned.crop);
  const auto t = std::chrono::steady_clock::now();
  if (!crops.empty()) {
    std::vector<Prediction> preds = classifier_->classify(crops, config_.withAttention);
    for (size_t i = 0; i < preds.size(); ++i) r.faces[i].prediction = std::move(preds[i]);
  }
  r.classifyMs = msSince(t);
  return r;
}

}  // namespace microfer
