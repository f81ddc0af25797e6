// Face detection: an abstract interface, a config, and a factory (Haar, MTCNN or YuNet).
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "microfer/types.hpp"

namespace microfer {

/// Thrown when a detector cannot be created (missing cascade or MTCNN weights); the
/// message says what is missing and where it was looked for.
class DetectorSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DetectorKind { Haar, Mtcnn, Yunet };

/// Parses "haar" / "mtcnn" / "yunet"; throws std::invalid_argument otherwise.
DetectorKind parseDetectorKind(const std::string& name);
std::string toString(DetectorKind kind);

/// The detector setting of the CLI and the desktop app: Haar, MTCNN, YuNet, or Auto (their
/// default) = YuNet where its models are found (findYunetDir()), else MTCNN where its weights
/// are found (findMtcnnDir(mtcnnDir)), else Haar. YuNet finds the most faces and is the
/// fastest (docs/DETECTORS.md); its and MTCNN's weights are third-party files that may be
/// absent; Haar needs only OpenCV.
enum class DetectorChoice { Auto, Haar, Mtcnn, Yunet };
/// The detector setting when none is given (CLI, app, Python).
constexpr DetectorChoice kDefaultDetectorChoice = DetectorChoice::Auto;

/// Parses "auto" / "haar" / "mtcnn" / "yunet" (any case); throws std::invalid_argument otherwise, naming
/// the allowed values.
DetectorChoice parseDetectorChoice(const std::string& name);
/// "auto", "haar", "mtcnn" or "yunet": the names parseDetectorChoice reads (the app's settings file and
/// the CLI's --detector).
std::string toString(DetectorChoice choice);

/// The detector a choice stands for on this machine. Both programs resolve Auto with this one
/// function, so they pick the same detector on the same machine.
DetectorKind resolveDetectorChoice(DetectorChoice choice, const std::string& mtcnnDir = "",
                                   const std::string& yunetDir = "");
/// The same for a choice's name (parseDetectorChoice); throws std::invalid_argument for any
/// other name.
DetectorKind resolveDetectorChoice(const std::string& choice, const std::string& mtcnnDir = "",
                                   const std::string& yunetDir = "");

struct DetectorConfig {
  DetectorKind kind = DetectorKind::Haar;
  int minFaceSize = 40;  ///< smallest face side to find, pixels of the input image
  /// Haar: the frame is downscaled so that its longer side is at most this before
  /// detection (boxes are mapped back); 0 = never downscale.
  int maxDetectSide = 640;
  /// Haar: folder of OpenCV's cascades; empty = search the usual places
  /// (/usr/share/opencv4/haarcascades, ...).
  std::string haarDir;
  /// Haar: also find eyes inside each face (for alignment).
  bool haarEyes = true;
  /// MTCNN: folder with det1/det2/det3 .prototxt + .caffemodel; empty = $MICROFER_MTCNN_DIR
  /// where that is set (then the only folder tried), else the first of <source>/models/mtcnn,
  /// <install>/share/microfer/models/mtcnn, ../shared/models/mtcnn that has them.
  std::string mtcnnDir;
  float mtcnnThresholds[3] = {0.6f, 0.7f, 0.7f};  ///< P-, R-, O-Net score thresholds
  float mtcnnPyramidFactor = 0.709f;
  /// YuNet: folder with yunet_n_320_320.onnx; empty =
  /// $MICROFER_YUNET_DIR where that is set (then the only folder tried), else the first of
  /// <source>/models/yunet, <install>/share/microfer/models/yunet, ../shared/models/yunet that
  /// has them.
  std::string yunetDir;
  /// YuNet: a cell is a face when sqrt(cls * obj) >= this; faces overlapping a better one by
  /// IoU > yunetNmsThreshold are dropped (docs/DETECTORS.md: how they were chosen).
  float yunetScoreThreshold = 0.7f;
  float yunetNmsThreshold = 0.3f;
};

/// One stage of the last detect() call: its name, wall time and the boxes it passed on.
struct DetectorStage {
  std::string name;  ///< e.g. "p-net"
  double ms = 0;
  int boxes = 0;
};

/// A face detector. Implementations load their models once at construction; detect() may
/// be called repeatedly. Not thread-safe: use one instance per thread.
class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  /// Finds every face in an 8-bit BGR, BGRA or gray image. Returns faces sorted by
  /// descending box area; boxes are clipped to the image. Empty image -> no faces.
  virtual std::vector<FaceDetection> detect(const cv::Mat& image) = 0;
  virtual DetectorKind kind() const = 0;
  /// Changes DetectorConfig::minFaceSize from the next detect() on, without reloading
  /// anything (the live view's adaptive quality). Requires px >= 12 (kSmallestMinFace).
  virtual void setMinFaceSize(int px) = 0;
  /// The stages of the last detect() call, in order (microfer-bench's detect breakdown);
  /// empty for a detector that does not time its stages.
  virtual std::vector<DetectorStage> lastStages() const { return {}; }
  /// True where one search of the whole frame costs less than searching near each face
  /// already found (YuNet: one network pass at a size fixed by the frame, where a window per
  /// face is a pass each); the pipeline's stream search then always takes the whole frame.
  virtual bool wholeFrameIsCheapest() const { return false; }
};

/// Creates the configured detector. Throws DetectorSetupError when its model files are
/// missing (the message names the folders searched and how to get them).
std::unique_ptr<FaceDetector> createFaceDetector(const DetectorConfig& config);

/// The MTCNN weight folder that createFaceDetector would use, or "" if none is found.
/// A non-empty `preferred` is the only folder tried (a wrong explicit setting is reported, not
/// silently replaced by another copy); otherwise the order given at DetectorConfig::mtcnnDir.
std::string findMtcnnDir(const std::string& preferred = "");
/// The same for YuNet's models (DetectorConfig::yunetDir).
std::string findYunetDir(const std::string& preferred = "");

/// Intersection over union of two boxes.
float iou(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace microfer
