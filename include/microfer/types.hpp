// Plain value types passed between the pipeline stages:
// source -> detect -> align -> classify -> annotate / write.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace microfer {

/// Number of expression classes and their names, in FER2013's own order.
constexpr int kNumEmotions = 7;
/// 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.
const std::array<std::string, kNumEmotions>& emotionNames();
/// Index of `name` in emotionNames(), or -1 if it is not one of them.
int emotionIndex(const std::string& name);

/// `s` with ASCII letters A-Z lower-cased and every other byte (UTF-8 included) kept:
/// for file extensions and names typed by users ("HAAR", ".JPG").
std::string asciiLower(std::string s);

/// The five facial landmarks produced by MTCNN, in image pixels.
/// Order: [0] the eye on the image's left, [1] the eye on the image's right, [2] nose tip,
/// [3] mouth corner on the image's left, [4] mouth corner on the image's right.
using FiveLandmarks = std::array<cv::Point2f, 5>;

/// One face found by a detector.
struct FaceDetection {
  cv::Rect2f box;     ///< face box in image pixels (x, y, width, height), clipped to the image
  float score = 0.f;  ///< detector confidence in [0,1] (MTCNN O-Net probability; Haar: 1.0)
  /// MTCNN: all five landmarks. Haar: only the two eye points ([0], [1]) when the eye
  /// cascade found both eyes; nullopt otherwise. (Haar fills [2..4] with estimates placed
  /// from the eyes by average face proportions; use them only where a guess is good enough.)
  std::optional<FiveLandmarks> landmarks;
  /// How many of `landmarks` (from the first) were measured rather than estimated:
  /// MTCNN 5, Haar 2 (the eyes); 0 without landmarks. Drawing shows only measured points.
  int measuredLandmarks = 0;
  bool hasEyes() const { return landmarks.has_value(); }
};

/// A face warped to the classifier's canonical crop.
struct AlignedFace {
  cv::Mat crop;  ///< CV_8UC1, size = the aligner's crop size, upright face
  /// 2x3 affine (CV_64F) that maps source-image pixels to crop pixels.
  cv::Mat transform;
  bool fromLandmarks = false;  ///< true: aligned on the eyes; false: box only (no rotation)
};

/// The classifier's answer for one face.
struct Prediction {
  int label = -1;                           ///< argmax of probs, index into emotionNames()
  float confidence = 0.f;                   ///< probs[label]
  std::array<float, kNumEmotions> probs{};  ///< averaged over the TTA views, sums to 1
  /// confidence is below the model's calibrated threshold (or --min-confidence): the label
  /// is kept but shown and written as uncertain.
  bool uncertain = false;
  float uncertainBelow = 0.f;  ///< the threshold it was judged against (kept for smoothing)
  /// Micro-attention map M (CV_32F in (0,1), crop-sized): the mean over all residual blocks
  /// of the unaugmented view, when requested; empty otherwise.
  cv::Mat attention;

  /// Sets label (the argmax of probs; the lower index on a tie), confidence and uncertain
  /// from probs and uncertainBelow: after the probabilities were averaged over TTA views,
  /// smoothed over frames or over an ensemble's models.
  void settle();
};

/// Everything known about one face in one frame.
struct FaceResult {
  FaceDetection detection;
  AlignedFace aligned;
  Prediction prediction;
  int trackId = -1;  ///< stable id across video frames when tracking is on, else -1
  /// Frames since this face was classified: 0 when `prediction` is this frame's own; 1 or 2
  /// when a live stream at classify-every 2 or 3 kept the face's last prediction
  /// (PipelineConfig::classifyEvery).
  int predictionAge = 0;
};

/// All faces in one image or video frame.
struct FrameResult {
  std::string source;        ///< file path, video path or "camera:N"
  long long frameIndex = 0;  ///< 0 for still images
  /// Videos and cameras: the frame's position in the stream (see Frame::timestampMs);
  /// negative for still images (written as an empty CSV cell / JSON null).
  double timestampMs = -1;
  cv::Size imageSize;
  std::vector<FaceResult> faces;
  double detectMs = 0, alignMs = 0, classifyMs = 0;  ///< stage timings of this frame
  /// The settings this frame was processed at, "<TTA>/<detect every>/<min face>" such as
  /// "flip/5/40", plus "/<classify every>" when above 1 ("off/20/80/3"; QualityLevel::tag()):
  /// the user's own, or lower ones where the live view adapted to keep up. A still image is
  /// always searched whole: "flip/1/40".
  std::string quality;
};

}  // namespace microfer
