// Expression classification of aligned face crops, with test-time augmentation (TTA).
// LibTorch stays behind a pimpl: this header is safe for Qt translation units.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "microfer/align/face_aligner.hpp"
#include "microfer/types.hpp"

namespace microfer {

enum class TtaMode {
  Off,   ///< 1 view: the crop itself
  Flip,  ///< 2 views: the crop and its mirror image
  Full   ///< flip x rotations x shifts (see TtaConfig), >= 8 views
};
/// Parses "off" / "flip" / "full"; throws std::invalid_argument otherwise.
TtaMode parseTtaMode(const std::string& name);
std::string toString(TtaMode mode);

struct TtaConfig {
  TtaMode mode = TtaMode::Flip;
  /// Full: rotated views about the crop centre (each also mirrored), degrees.
  std::vector<float> anglesDeg = {-8.f, 8.f};
  /// Full: shifted views, (dx, dy) as fractions of the crop side (each also mirrored, so a
  /// horizontal shift covers both directions).
  std::vector<cv::Point2f> shifts = {{0.04f, 0.04f}};
  float centreWeight = 2.f;  ///< Full: weight of the unmodified view and its mirror (others 1)
};

/// One view of a crop: a 2x3 affine applied to the crop, and a weight.
struct TtaView {
  cv::Mat affine;  ///< CV_64F 2x3, crop -> view
  float weight = 1.f;
};
/// The views of a TTA configuration for a crop of side `size`. Off -> 1 identity view;
/// Flip -> identity + mirror; Full -> Flip's views, plus each rotation and each shift,
/// each also mirrored (defaults: 2 + 2*2 + 1*2 = 8 views).
std::vector<TtaView> makeTtaViews(const TtaConfig& tta, int size);

struct ClassifierConfig {
  std::string modelPath;  ///< empty = defaultModelPath()
  TtaConfig tta;
  int threads = 0;  ///< LibTorch intra-op threads; 0 = leave as is
  /// A forward pass of at least this many views (faces x TTA views) is split into one chunk
  /// per LibTorch thread, each chunk run on one thread; smaller passes, or all with 0, run
  /// whole on the calling thread alone.
  int parallelMinViews = 2;
  /// Each thread runs its chunk in pieces of at most this many views (0 = whole): a few
  /// hundred views at once leave the caches and run slower per view (eval --tta full).
  int maxViewsPerPiece = 32;
  /// Faces whose top probability is below this are flagged uncertain; < 0 = the model's own
  /// calibrated threshold (ModelInfo::uncertainBelow), 0 = never.
  float minConfidence = -1.f;
};

/// The probabilities of one face from its views' logits (view-major: nViews x k): softmax of
/// logits / temperature per view, then the weighted mean. The classifier and calibration use
/// this one function.
void averageViews(const float* logits, int nViews, int k, const std::vector<float>& weights,
                  float temperature, float* probs);

/// Loads the network once; classifies crops with TTA. Every call runs all views of all
/// faces in ONE batched forward pass under c10::InferenceMode, applies softmax per view
/// and takes the weighted mean. Not thread-safe: use one instance per thread (the weights
/// are loaded per instance).
class ExpressionClassifier {
 public:
  /// Throws ModelFileError (model missing or corrupt) with a clear message.
  explicit ExpressionClassifier(const ClassifierConfig& config = {});
  ~ExpressionClassifier();
  ExpressionClassifier(const ExpressionClassifier&) = delete;
  ExpressionClassifier& operator=(const ExpressionClassifier&) = delete;

  /// Crops: CV_8UC1 of the model's crop size (other sizes and colour are converted). When
  /// `withAttention`, each Prediction carries the attention map (see Prediction).
  std::vector<Prediction> classify(const std::vector<cv::Mat>& crops, bool withAttention = false);
  Prediction classify(const cv::Mat& crop, bool withAttention = false);

  void setTta(const TtaConfig& tta);
  const TtaConfig& tta() const;
  /// The crop geometry the model was trained for (give it to the FaceAligner).
  const CropGeometry& cropGeometry() const;
  const std::vector<std::string>& classNames() const;
  const std::string& modelName() const;
  const std::string& modelPath() const;
  const std::string& modelNotes() const;
  /// FNV-1a 64 of the model file's bytes (as `microfer-cli --version` shows it); the file is
  /// read for it once, on the first call, not at every run record.
  uint64_t modelFileChecksum() const;
  int64_t parameterCount() const;

  /// The raw logits of every TTA view of every crop (per crop: views x classes, view-major),
  /// for calibration; and the views' weights.
  std::vector<std::vector<float>> viewLogits(const std::vector<cv::Mat>& crops);
  std::vector<float> viewWeights() const;
  float temperature() const;
  /// The threshold in force (ClassifierConfig::minConfidence or the model's).
  float uncertainBelow() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The network's input from an 8-bit gray crop: (v/255 - mean)/std into `out` (CV_32FC1).
/// Training feeds crops the same way (augment.hpp).
void normaliseCrop(const cv::Mat& in, cv::Mat& out, float mean, float stdDev);

}  // namespace microfer
