#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "haar_detector.hpp"
#include "microfer/detect/face_detector.hpp"
#include "mtcnn_detector.hpp"
#include "yunet_detector.hpp"

namespace microfer {

namespace fs = std::filesystem;

namespace {

/// A detector's third-party model files: the folder name under models/, the environment
/// variable that points at another folder, and the files that must be there.
struct WeightFolder {
  const char* folder;
  const char* env;
  std::vector<std::string> files;
};
const WeightFolder kMtcnn{"mtcnn", "MICROFER_MTCNN_DIR",
                          {"det1.prototxt", "det1.caffemodel", "det2.prototxt",
                           "det2.caffemodel", "det3.prototxt", "det3.caffemodel"}};
const WeightFolder kYunet{"yunet", "MICROFER_YUNET_DIR", {"yunet_n_320_320.onnx"}};

bool hasWeights(const WeightFolder& w, const fs::path& dir) {
  std::error_code ec;
  for (const auto& f : w.files)
    if (!fs::is_regular_file(dir / f, ec)) return false;
  return true;
}

/// The folders findMtcnnDir() / findYunetDir() try, in order (see DetectorConfig::mtcnnDir).
std::vector<std::string> candidates(const WeightFolder& w, const std::string& preferred) {
  // An explicit folder (the setting, else the environment variable) is the only candidate:
  // silently falling back to another copy of the weights would hide a typo in it.
  if (!preferred.empty()) return {preferred};
  if (const char* env = std::getenv(w.env); env && *env) return {env};
  std::vector<std::string> dirs;
  dirs.push_back((fs::path(MICROFER_SOURCE_DIR) / "models" / w.folder).string());
  dirs.push_back((fs::path(MICROFER_DATA_DIR) / "models" / w.folder).string());
  dirs.push_back(
      (fs::path(MICROFER_SOURCE_DIR).parent_path() / "shared" / "models" / w.folder).string());
  return dirs;
}

std::string findWeights(const WeightFolder& w, const std::string& preferred) {
  for (const auto& dir : candidates(w, preferred))
    if (hasWeights(w, dir)) return dir;
  return "";
}

std::string searched(const WeightFolder& w, const std::string& preferred) {
  std::string s;
  for (const auto& d : candidates(w, preferred)) s += (s.empty() ? "'" : ", '") + d + "'";
  return s;
}

}  // namespace

DetectorKind parseDetectorKind(const std::string& name) {
  const std::string lower = asciiLower(name);
  if (lower == "haar") return DetectorKind::Haar;
  if (lower == "mtcnn") return DetectorKind::Mtcnn;
  if (lower == "yunet") return DetectorKind::Yunet;
  throw std::invalid_argument("unknown face detector '" + name +
                              "' (expected 'haar', 'mtcnn' or 'yunet')");
}

DetectorChoice parseDetectorChoice(const std::string& name) {
  const std::string lower = asciiLower(name);
  if (lower == "auto") return DetectorChoice::Auto;
  if (lower == "haar") return DetectorChoice::Haar;
  if (lower == "mtcnn") return DetectorChoice::Mtcnn;
  if (lower == "yunet") return DetectorChoice::Yunet;
  throw std::invalid_argument("unknown face detector '" + name +
                              "' (expected 'auto', 'haar', 'mtcnn' or 'yunet')");
}

std::string toString(DetectorChoice choice) {
  switch (choice) {
    case DetectorChoice::Auto:
      return "auto";
    case DetectorChoice::Haar:
      return "haar";
    case DetectorChoice::Mtcnn:
      return "mtcnn";
    case DetectorChoice::Yunet:
      return "yunet";
  }
  return "unknown";
}

DetectorKind resolveDetectorChoice(DetectorChoice choice, const std::string& mtcnnDir,
                                   const std::string& yunetDir) {
  switch (choice) {
    case DetectorChoice::Haar:
      return DetectorKind::Haar;
    case DetectorChoice::Mtcnn:
      return DetectorKind::Mtcnn;
    case DetectorChoice::Yunet:
      return DetectorKind::Yunet;
    case DetectorChoice::Auto:
      break;
  }
  if (!findYunetDir(yunetDir).empty()) return DetectorKind::Yunet;
  if (!findMtcnnDir(mtcnnDir).empty()) return DetectorKind::Mtcnn;
  // Weights asked for explicitly but not there: say so rather than quietly using Haar.
  for (const auto& [w, dir] : {std::pair{&kYunet, yunetDir}, std::pair{&kMtcnn, mtcnnDir}}) {
    const char* env = std::getenv(w->env);
    const std::string asked = !dir.empty() ? dir : (env && *env ? env : "");
    if (!asked.empty())
      spdlog::warn("no {} weights in '{}': the automatic detector choice is Haar", w->folder,
                   asked);
  }
  return DetectorKind::Haar;
}

DetectorKind resolveDetectorChoice(const std::string& choice, const std::string& mtcnnDir,
                                   const std::string& yunetDir) {
  return resolveDetectorChoice(parseDetectorChoice(choice), mtcnnDir, yunetDir);
}

std::string toString(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::Haar:
      return "haar";
    case DetectorKind::Mtcnn:
      return "mtcnn";
    case DetectorKind::Yunet:
      return "yunet";
  }
  return "unknown";
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float ix = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const float iy = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (ix <= 0.f || iy <= 0.f) return 0.f;
  const float inter = ix * iy;
  const float uni = a.area() + b.area() - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::string findMtcnnDir(const std::string& preferred) { return findWeights(kMtcnn, preferred); }

std::string findYunetDir(const std::string& preferred) { return findWeights(kYunet, preferred); }

std::unique_ptr<FaceDetector> createFaceDetector(const DetectorConfig& config) {
  switch (config.kind) {
    case DetectorKind::Haar:
      return std::make_unique<HaarDetector>(config);
    case DetectorKind::Mtcnn: {
      const std::string dir = findMtcnnDir(config.mtcnnDir);
      if (dir.empty()) {
        throw DetectorSetupError(
            "MTCNN weights not found (looked for det1/det2/det3 .prototxt + .caffemodel in " +
            searched(kMtcnn, config.mtcnnDir) +
            "). They are the MIT-licensed release of Zhang et al. "
            "(github.com/kpzhang93/MTCNN_face_detection_alignment, folder code/codes/*/model); "
            "put those six files into models/mtcnn/ or point MICROFER_MTCNN_DIR at their "
            "folder.");
      }
      return std::make_unique<MtcnnDetector>(dir, config);
    }
    case DetectorKind::Yunet: {
      const std::string dir = findYunetDir(config.yunetDir);
      if (dir.empty())
        throw DetectorSetupError(
            "YuNet model not found (looked for yunet_n_320_320.onnx in " +
            searched(kYunet, config.yunetDir) +
            "). They are the Apache-2.0 release of Wu, Peng and Yu "
            "(github.com/ShiqiYu/libfacedetection.train, folder onnx/); put them into "
            "models/yunet/ or point MICROFER_YUNET_DIR at their folder.");
      return std::make_unique<YunetDetector>(dir, config);
    }
  }
  throw std::invalid_argument("unknown detector kind");
}

}  // namespace microfer
