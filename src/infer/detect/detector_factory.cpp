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

namespace microfer {

namespace fs = std::filesystem;

namespace {

bool hasMtcnnWeights(const fs::path& dir) {
  std::error_code ec;
  for (const char* net : {"det1", "det2", "det3"})
    for (const char* ext : {".prototxt", ".caffemodel"})
      if (!fs::is_regular_file(dir / (std::string(net) + ext), ec)) return false;
  return true;
}

/// The folders findMtcnnDir() tries, in order (see DetectorConfig::mtcnnDir).
std::vector<std::string> mtcnnCandidates(const std::string& preferred) {
  // An explicit folder (the setting, else $MICROFER_MTCNN_DIR) is the only candidate:
  // silently falling back to another copy of the weights would hide a typo in it.
  if (!preferred.empty()) return {preferred};
  if (const char* env = std::getenv("MICROFER_MTCNN_DIR"); env && *env) return {env};
  std::vector<std::string> dirs;
  dirs.push_back((fs::path(MICROFER_SOURCE_DIR) / "models" / "mtcnn").string());
  dirs.push_back((fs::path(MICROFER_DATA_DIR) / "models" / "mtcnn").string());
  dirs.push_back(
      (fs::path(MICROFER_SOURCE_DIR).parent_path() / "shared" / "models" / "mtcnn").string());
  return dirs;
}

}  // namespace

DetectorKind parseDetectorKind(const std::string& name) {
  const std::string lower = asciiLower(name);
  if (lower == "haar") return DetectorKind::Haar;
  if (lower == "mtcnn") return DetectorKind::Mtcnn;
  throw std::invalid_argument("unknown face detector '" + name + "' (expected 'haar' or 'mtcnn')");
}

DetectorChoice parseDetectorChoice(const std::string& name) {
  const std::string lower = asciiLower(name);
  if (lower == "auto") return DetectorChoice::Auto;
  if (lower == "haar") return DetectorChoice::Haar;
  if (lower == "mtcnn") return DetectorChoice::Mtcnn;
  throw std::invalid_argument("unknown face detector '" + name +
                              "' (expected 'auto', 'haar' or 'mtcnn')");
}

std::string toString(DetectorChoice choice) {
  switch (choice) {
    case DetectorChoice::Auto:
      return "auto";
    case DetectorChoice::Haar:
      return "haar";
    case DetectorChoice::Mtcnn:
      return "mtcnn";
  }
  return "unknown";
}

DetectorKind resolveDetectorChoice(DetectorChoice choice, const std::string& mtcnnDir) {
  switch (choice) {
    case DetectorChoice::Haar:
      return DetectorKind::Haar;
    case DetectorChoice::Mtcnn:
      return DetectorKind::Mtcnn;
    case DetectorChoice::Auto:
      break;
  }
  if (!findMtcnnDir(mtcnnDir).empty()) return DetectorKind::Mtcnn;
  // Weights asked for explicitly but not there: say so rather than quietly using Haar.
  const char* env = std::getenv("MICROFER_MTCNN_DIR");
  const std::string asked = !mtcnnDir.empty() ? mtcnnDir : (env && *env ? env : "");
  if (!asked.empty())
    spdlog::warn("no MTCNN weights in '{}': the automatic detector choice is Haar", asked);
  return DetectorKind::Haar;
}

DetectorKind resolveDetectorChoice(const std::string& choice, const std::string& mtcnnDir) {
  return resolveDetectorChoice(parseDetectorChoice(choice), mtcnnDir);
}

std::string toString(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::Haar:
      return "haar";
    case DetectorKind::Mtcnn:
      return "mtcnn";
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

std::string findMtcnnDir(const std::string& preferred) {
  for (const auto& dir : mtcnnCandidates(preferred))
    if (hasMtcnnWeights(dir)) return dir;
  return "";
}

std::unique_ptr<FaceDetector> createFaceDetector(const DetectorConfig& config) {
  switch (config.kind) {
    case DetectorKind::Haar:
      return std::make_unique<HaarDetector>(config);
    case DetectorKind::Mtcnn: {
      const std::string dir = findMtcnnDir(config.mtcnnDir);
      if (dir.empty()) {
        std::string searched;
        for (const auto& d : mtcnnCandidates(config.mtcnnDir))
          searched += (searched.empty() ? "'" : ", '") + d + "'";
        throw DetectorSetupError(
            "MTCNN weights not found (looked for det1/det2/det3 .prototxt + .caffemodel in " +
            searched +
            "). They are the MIT-licensed release of Zhang et al. "
            "(github.com/kpzhang93/MTCNN_face_detection_alignment, folder code/codes/*/model); "
            "put those six files into models/mtcnn/ or point MICROFER_MTCNN_DIR at their "
            "folder.");
      }
      return std::make_unique<MtcnnDetector>(dir, config);
    }
  }
  throw std::invalid_argument("unknown detector kind");
}

}  // namespace microfer
