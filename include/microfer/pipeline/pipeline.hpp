// The whole per-frame flow: detect -> align -> classify (with TTA). One Pipeline is used
// by the CLI, the desktop application and the benchmark, so they cannot disagree.
#pragma once

#include <memory>
#include <string>

#include "microfer/classify/expression_classifier.hpp"
#include "microfer/align/face_aligner.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/runtime/runtime.hpp"  // configureRuntime(), for the programs that run a pipeline
#include "microfer/types.hpp"

namespace microfer {

struct PipelineConfig {
  DetectorConfig detector;
  ClassifierConfig classifier;
  bool withAttention = false;  ///< fill Prediction::attention
  int maxFaces = 0;            ///< classify at most this many (largest) faces; 0 = all
  /// Streams (processStream: video, camera): a whole-frame detection every this many frames;
  /// in between, each face is searched again only in a window around its last box, which
  /// costs a fraction of a whole-frame search. A face lost there, or no face at all, brings
  /// the whole-frame search back on that same frame. 1 = whole-frame detection every frame.
  int detectEvery = 5;
  /// Streams: each face is classified every this many frames; in between, a face found again
  /// near its last box keeps the prediction of its last classification (the live view's
  /// cheapest quality levels; the frame's `quality` says so). A whole-frame search, a new or a
  /// lost face, or attention maps switched on always bring classification back on that
  /// frame. 1 = every frame.
  int classifyEvery = 1;
};

/// The smallest face a detector is asked to find, pixels: MTCNN's P-Net sees 12 x 12 windows.
constexpr int kSmallestMinFace = 12;
/// The largest minimum face size accepted (a face that fills a 10000-pixel frame).
constexpr int kLargestMinFace = 10000;
/// The longest a followed face goes without being classified again, frames.
constexpr int kLargestClassifyEvery = 4;

/// The one home of the pipeline settings' bounds and their messages, for every front end:
/// "" when `config` is usable, else its first problem in words, naming the CLI option too
/// ("minimum face size (--min-face) must be 12 to 10000 pixels, got 8"). Pipeline's
/// constructor refuses what this refuses.
std::string validate(const PipelineConfig& config);

/// Owns one detector, one aligner and one classifier, loaded once.
/// Not thread-safe: one Pipeline per worker thread.
class Pipeline {
 public:
  /// Throws std::invalid_argument (validate()), DetectorSetupError or ModelFileError with a
  /// clear message.
  explicit Pipeline(const PipelineConfig& config);
  ~Pipeline();

  /// Runs all stages on an 8-bit BGR (or gray/BGRA) image.
  FrameResult process(const cv::Mat& image, const std::string& source = "",
                      long long frameIndex = 0);

  /// As process(), for consecutive frames of one video or camera: detection follows the
  /// faces of the previous frame (see PipelineConfig::detectEvery). Call resetStream() when
  /// a new stream starts.
  FrameResult processStream(const cv::Mat& image, const std::string& source = "",
                            long long frameIndex = 0);
  void resetStream();
  /// Stream frames so far whose faces came from a whole-frame search / from the search
  /// near the last faces (for benchmarks and logs; resetStream() does not clear them).
  long long wholeFrameSearches() const { return wholeFrameSearches_; }
  long long nearSearches() const { return nearSearches_; }

  /// Changes the TTA mode without reloading the model.
  void setTta(const TtaConfig& tta);
  /// Replaces the detector (e.g. Haar -> MTCNN); throws DetectorSetupError and keeps the
  /// old one if the new one cannot be created.
  void setDetector(const DetectorConfig& config);
  void setWithAttention(bool on) { config_.withAttention = on; }
  /// Change between stream frames without reloading anything and without losing the faces
  /// followed so far (the live view's adaptive quality): PipelineConfig::detectEvery
  /// (n >= 1) and the detector's minimum face size (px >= kSmallestMinFace).
  void setDetectEvery(int n);
  void setMinFaceSize(int px);
  /// PipelineConfig::classifyEvery (1 to kLargestClassifyEvery), between stream frames.
  void setClassifyEvery(int n);

  const PipelineConfig& config() const { return config_; }
  ExpressionClassifier& classifier() { return *classifier_; }
  FaceDetector& detector() { return *detector_; }
  const FaceAligner& aligner() const { return aligner_; }

 private:
  /// Re-detects the faces of the previous stream frame near their boxes; false when one is
  /// lost (the caller then searches the whole frame).
  bool detectNearPrevious(const cv::Mat& image, std::vector<FaceDetection>& faces);
  /// Each face's detection and aligned crop into r.faces (and r.alignMs).
  void alignFaces(const cv::Mat& image, const std::vector<FaceDetection>& faces,
                  FrameResult& r) const;
  FrameResult classifyFaces(const cv::Mat& image, std::vector<FaceDetection> faces, FrameResult r);
  /// Aligns `faces` into `r` and gives each the prediction of the last classified face it
  /// overlaps, `age` frames old; false (r untouched) when a face has none.
  bool reusePredictions(const cv::Mat& image, const std::vector<FaceDetection>& faces, int age,
                        FrameResult& r) const;

  PipelineConfig config_;
  std::vector<FaceDetection> streamFaces_;  ///< faces of the previous stream frame
  int framesSinceFullDetection_ = 0;
  /// The faces of the last classified stream frame (kept while classifyEvery > 1), and
  /// whether they carry attention maps.
  std::vector<FaceResult> lastClassified_;
  bool lastClassifiedAttention_ = false;
  int framesSinceClassify_ = 0;
  long long wholeFrameSearches_ = 0, nearSearches_ = 0;
  std::unique_ptr<FaceDetector> detector_;
  std::unique_ptr<ExpressionClassifier> classifier_;
  FaceAligner aligner_;
};


}  // namespace microfer
