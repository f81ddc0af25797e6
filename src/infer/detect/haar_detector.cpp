#include "haar_detector.hpp"

#include "microfer/align/face_aligner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace microfer {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFaceCascade = "haarcascade_frontalface_default.xml";
// Eye cascades, tried in this order until one yields a plausible pair. The eyeglasses variant
// also finds eyes behind glasses and, on the dlib photos, was never wrong; the plain cascade
// finds more eyes where the first found none. Together: eyes on 23 of 35 detected faces,
// none off by more than a quarter of the eye distance.
constexpr const char* kEyeCascades[] = {"haarcascade_eye_tree_eyeglasses.xml",
                                        "haarcascade_eye.xml"};

// Detection parameters, chosen for precision on the dlib face photos (see
// tests/test_detectors.cpp): 1.2 / 5 gave no false positive on any of them, dogs.jpg included,
// at 35 of 43 faces found; the finer 1.1 / 5 finds 39 but also fires on a shirt and on a towel.
// The coarser pyramid is also about a third faster, which matters for the live view.
constexpr double kFaceScaleFactor = 1.2;
constexpr int kFaceMinNeighbors = 5;

// Eyes are searched in a face scaled to this width: enough pixels for the 20x20 eye cascade,
// few enough to keep the search cheap on large faces.
constexpr int kEyeSearchFaceWidth = 160;
constexpr double kEyeScaleFactor = 1.1;
// Few neighbours keep the eyes of small faces; the pair checks below reject stray hits.
constexpr int kEyeMinNeighbors = 1;
constexpr float kEyeBandTop = 0.2f;  // fraction of the face box height
constexpr float kEyeBandBottom = 0.6f;

// Plausible eye pairs in a Haar face box: horizontal eye distance as a fraction of the box
// width, and the largest |dy/dx| of the eye line (about 25 degrees).
constexpr float kMinEyeDistance = 0.25f;
constexpr float kMaxEyeDistance = 0.65f;
constexpr float kMaxEyeSlope = 0.47f;

// Average frontal-face geometry relative to the eye centres, in units of the eye distance
// (from the usual 5-point alignment template): nose tip and mouth corners lie this far below
// the eye line and this far to the side of its midpoint.
constexpr float kNoseDrop = 0.57f;
constexpr float kMouthDrop = 1.16f;
constexpr float kMouthHalfWidth = 0.41f;

std::vector<std::string> cascadeCandidates(const std::string& preferred) {
  if (!preferred.empty()) return {preferred};
  return {"/usr/share/opencv4/haarcascades", "/usr/local/share/opencv4/haarcascades",
          "/usr/share/opencv/haarcascades", "/usr/local/share/opencv/haarcascades"};
}

std::string joinQuoted(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "'" : ", '") + i + "'";
  return s;
}

/// Nose and mouth corners estimated from the two eyes (rotation follows the eye line).
void estimateLowerLandmarks(FiveLandmarks& lm) {
  const cv::Point2f eyeVec = lm[1] - lm[0];
  const float dist = std::hypot(eyeVec.x, eyeVec.y);
  const cv::Point2f along = eyeVec / std::max(dist, 1e-3f);
  const cv::Point2f down(-along.y, along.x);  // image y points down
  const cv::Point2f mid = 0.5f * (lm[0] + lm[1]);
  lm[2] = mid + kNoseDrop * dist * down;
  lm[3] = mid + kMouthDrop * dist * down - kMouthHalfWidth * dist * along;
  lm[4] = mid + kMouthDrop * dist * down + kMouthHalfWidth * dist * along;
}

}  // namespace

HaarDetector::HaarDetector(const DetectorConfig& config) : config_(config) {
  const auto dirs = cascadeCandidates(config.haarDir);
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(dir) / kFaceCascade, ec)) continue;
    if (!faceCascade_.load((fs::path(dir) / kFaceCascade).string()))
      throw DetectorSetupError("cannot parse the Haar cascade '" +
                               (fs::path(dir) / kFaceCascade).string() + "'");
    cascadeDir_ = dir;
    break;
  }
  if (cascadeDir_.empty())
    throw DetectorSetupError(std::string("Haar cascade '") + kFaceCascade + "' not found in " +
                             joinQuoted(dirs) +
                             "; install OpenCV's cascades (Debian package opencv-data) or set "
                             "the cascade folder in the detector settings.");

  if (config_.haarEyes) {
    for (const char* name : kEyeCascades) {
      const fs::path file = fs::path(cascadeDir_) / name;
      std::error_code ec;
      cv::CascadeClassifier eye;
      if (fs::is_regular_file(file, ec) && eye.load(file.string())) eyeCascades_.push_back(eye);
    }
    if (eyeCascades_.empty())
      throw DetectorSetupError("no eye cascade (" + std::string(kEyeCascades[0]) + " or " +
                               kEyeCascades[1] + ") in '" + cascadeDir_ +
                               "'; install opencv-data or turn off eye detection.");
  }
  spdlog::debug("Haar cascades loaded from '{}'", cascadeDir_);
}

std::vector<FaceDetection> HaarDetector::detect(const cv::Mat& image) {
  if (image.empty()) return {};
  const cv::Mat gray = toGray(image);

  // Detect on a bounded frame: the cascade's cost grows with the pixel count. The price is
  // that faces under 24 / scale input pixels (the cascade's window) are no longer found.
  const int longSide = std::max(gray.cols, gray.rows);
  const double scale = (config_.maxDetectSide > 0 && longSide > config_.maxDetectSide)
                           ? double(config_.maxDetectSide) / longSide
                           : 1.0;
  cv::Mat small;
  if (scale < 1.0 && cvRound(std::min(gray.cols, gray.rows) * scale) >= 1)
    cv::resize(gray, small, cv::Size(), scale, scale, cv::INTER_AREA);
  else if (scale < 1.0)  // so thin (8294 x 1) that it would shrink to 0 pixels across
    cv::resize(
        gray, small,
        cv::Size(std::max(1, cvRound(gray.cols * scale)), std::max(1, cvRound(gray.rows * scale))),
        0, 0, cv::INTER_AREA);
  else
    small = gray;
  cv::Mat equalized;
  cv::equalizeHist(small, equalized);

  // minFaceSize is in input pixels; below the cascade's own window it has no effect.
  const int minSide = std::max(1, static_cast<int>(std::lround(config_.minFaceSize * scale)));
  std::vector<cv::Rect> rects;
  faceCascade_.detectMultiScale(equalized, rects, kFaceScaleFactor, kFaceMinNeighbors,
                                cv::CASCADE_SCALE_IMAGE, cv::Size(minSide, minSide));

  const cv::Rect2f imageRect(0.f, 0.f, static_cast<float>(gray.cols),
                             static_cast<float>(gray.rows));
  std::vector<FaceDetection> faces;
  faces.reserve(rects.size());
  for (const auto& r : rects) {
    const float inv = static_cast<float>(1.0 / scale);
    FaceDetection f;
    f.box = cv::Rect2f(r.x * inv, r.y * inv, r.width * inv, r.height * inv) & imageRect;
    if (f.box.width < 1.f || f.box.height < 1.f) continue;
    f.score = 1.f;
    if (config_.haarEyes) {
      FiveLandmarks lm{};
      const cv::Rect face(
          cv::Point(static_cast<int>(std::floor(f.box.x)), static_cast<int>(std::floor(f.box.y))),
          cv::Point(static_cast<int>(std::ceil(f.box.br().x)),
                    static_cast<int>(std::ceil(f.box.br().y))));
      if (findEyes(gray, face & cv::Rect(0, 0, gray.cols, gray.rows), lm)) {
        f.landmarks = lm;
        f.measuredLandmarks = 2;
      }
    }
    faces.push_back(f);
  }
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection& a, const FaceDetection& b) {
    return a.box.area() > b.box.area();
  });
  return faces;
}

bool HaarDetector::findEyes(const cv::Mat& gray, const cv::Rect& face, FiveLandmarks& lm) {
  if (face.width < 2 || face.height < 2) return false;
  // Eyes sit in the upper half of a Haar face box, centred at about 0.4 of its height, so the
  // band reaches a little below the half to hold whole eye windows; the forehead above 0.2
  // and the lower face (nostrils, mouth corners) only give the eye cascade false hits.
  const cv::Rect band(face.x, face.y + static_cast<int>(kEyeBandTop * face.height), face.width,
                      std::max(1, static_cast<int>((kEyeBandBottom - kEyeBandTop) * face.height)));
  // Small faces are enlarged too: the eye cascade's 20x20 window cannot see the eyes of a
  // 40-pixel face otherwise.
  const double s = double(kEyeSearchFaceWidth) / face.width;
  cv::Mat roi;
  cv::resize(gray(band), roi, cv::Size(), s, s, s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  // Equalise the face alone: a face in shadow stays dark after a whole-image equalisation.
  cv::equalizeHist(roi, roi);

  const int faceW = roi.cols;
  // An eye is roughly a fifth of the face width; bounding the search size avoids matching a
  // single pupil or the whole brow region.
  const cv::Size minEye(std::max(5, faceW / 8), std::max(5, faceW / 8));
  const cv::Size maxEye(std::max(minEye.width, faceW / 2), std::max(minEye.height, faceW / 2));
  if (roi.cols < minEye.width || roi.rows < minEye.height) return false;
  for (auto& cascade : eyeCascades_) {
    std::vector<cv::Rect> eyes;
    std::vector<int> votes;
    cascade.detectMultiScale(roi, eyes, votes, kEyeScaleFactor, kEyeMinNeighbors,
                             cv::CASCADE_SCALE_IMAGE, minEye, maxEye);

    // Best-supported eye on each side of the face's vertical midline. Ties go to the hit
    // nearer the band's middle row (where eyes usually are), then to the leftmost, so that
    // the choice does not depend on the order the parallel cascade scan returns hits in.
    auto better = [&](size_t a, size_t b) {
      if (votes[a] != votes[b]) return votes[a] > votes[b];
      const int da = std::abs(2 * eyes[a].y + eyes[a].height - roi.rows);
      const int db = std::abs(2 * eyes[b].y + eyes[b].height - roi.rows);
      if (da != db) return da < db;
      return std::make_pair(eyes[a].x, eyes[a].width) < std::make_pair(eyes[b].x, eyes[b].width);
    };
    int best[2] = {-1, -1};
    for (size_t i = 0; i < eyes.size(); ++i) {
      const float cx = eyes[i].x + 0.5f * eyes[i].width;
      const int side = cx < 0.5f * faceW ? 0 : 1;
      if (best[side] < 0 || better(i, best[side])) best[side] = static_cast<int>(i);
    }
    if (best[0] < 0 || best[1] < 0) continue;
    for (int k = 0; k < 2; ++k) {
      const cv::Rect& e = eyes[best[k]];
      lm[k] = cv::Point2f(static_cast<float>(band.x + (e.x + 0.5 * e.width) / s),
                          static_cast<float>(band.y + (e.y + 0.5 * e.height) / s));
    }
    // A wrong pair is worse than none (the aligner would rotate the face by a bogus angle and
    // cannot tell), so reject pairs that no upright frontal face could have: eyes too close or
    // too far apart for the face, or an eye line steeper than the cascade's tolerance for roll.
    const cv::Point2f d = lm[1] - lm[0];
    if (d.x < kMinEyeDistance * face.width || d.x > kMaxEyeDistance * face.width) continue;
    if (std::abs(d.y) > kMaxEyeSlope * d.x) continue;
    estimateLowerLandmarks(lm);
    return true;
  }
  return false;
}

}  // namespace microfer
