// Face detectors on real photos: dlib's example faces (hand-drawn boxes) in ../shared.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "microfer/detect/face_detector.hpp"
#include "microfer/detect/imglab.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using microfer::DetectorConfig;
using microfer::DetectorKind;

const char* const kFacesDir = "data/dlib-faces";
const char* const kMtcnnDir = "models/mtcnn";
const char* const kHaarDir = "/usr/share/opencv4/haarcascades";

// Smallest hand-drawn box in the dlib photos is 37 px; 20 px is MTCNN's reference minimum.
constexpr int kMinFace = 20;
constexpr float kMatchIou = 0.5f;

std::string facesPath(const std::string& file) {
  return (fs::path(microfer::test::sharedDir()) / kFacesDir / file).string();
}

using LabeledImage = microfer::ImglabImage;
using microfer::readImglab;

std::vector<LabeledImage> labeledFaces() {
  auto images = readImglab(facesPath("training.xml"));
  const auto test = readImglab(facesPath("testing.xml"));
  images.insert(images.end(), test.begin(), test.end());
  return images;
}

std::vector<LabeledImage> landmarkedFaces() {
  auto images = readImglab(facesPath("training_with_face_landmarks.xml"));
  const auto test = readImglab(facesPath("testing_with_face_landmarks.xml"));
  images.insert(images.end(), test.begin(), test.end());
  return images;
}

struct DetectionStats {
  int faces = 0;           ///< hand-drawn boxes that count (not ignore='1')
  int found = 0;           ///< of those, matched by a detection at IoU >= kMatchIou
  int falsePositives = 0;  ///< detections matched to no box
  // Landmarks of matched faces against dlib's 68-point annotation (where the XML has parts).
  int withLandmarks = 0;   ///< matched faces whose detection has landmarks
  int eyesAccurate = 0;    ///< of those, both eyes within kEyeTolerance of the truth
  double eyeErrorSum = 0;  ///< sum of the worse eye's error, in inter-ocular distances
  double recall() const { return faces ? double(found) / faces : 0.0; }
  double eyeAccuracy() const { return withLandmarks ? double(eyesAccurate) / withLandmarks : 0.0; }
};

// A predicted eye counts as right when it is within a quarter of the inter-ocular distance of
// the annotated eye centre (the usual normalised-error criterion).
constexpr double kEyeTolerance = 0.25;

/// Worse of the two eye errors, in units of the true inter-ocular distance. iBUG points 36-41
/// outline the eye on the image's left, 42-47 the one on its right.
double eyeError(const microfer::FiveLandmarks& lm, const std::vector<cv::Point2f>& parts) {
  cv::Point2f left(0, 0), right(0, 0);
  for (int i = 36; i < 42; ++i) left += parts[i] / 6.f;
  for (int i = 42; i < 48; ++i) right += parts[i] / 6.f;
  const double iod = cv::norm(right - left);
  return std::max(cv::norm(lm[0] - left), cv::norm(lm[1] - right)) / iod;
}

/// Greedy one-to-one matching, best IoU first, as in PASCAL-style evaluation.
/// `adjust` maps a detector box to the convention of the hand-drawn boxes before matching.
template <typename Adjust>
DetectionStats evaluate(microfer::FaceDetector& detector, const std::vector<LabeledImage>& images,
                        Adjust adjust) {
  DetectionStats stats;
  for (const auto& img : images) {
    const cv::Mat image = cv::imread(facesPath(img.file));
    EXPECT_FALSE(image.empty()) << "cannot read " << img.file;
    if (image.empty()) continue;
    const auto dets = detector.detect(image);
    const cv::Rect2f frame(0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows));
    for (size_t d = 0; d < dets.size(); ++d) {
      EXPECT_EQ(dets[d].box & frame, dets[d].box) << img.file << ": box not clipped";
      if (d > 0) {
        EXPECT_GE(dets[d - 1].box.area(), dets[d].box.area()) << img.file << ": order";
      }
    }

    struct Pair {
      float iou;
      size_t gt, det;
    };
    std::vector<Pair> pairs;
    for (size_t g = 0; g < img.boxes.size(); ++g)
      for (size_t d = 0; d < dets.size(); ++d) {
        const float v = microfer::iou(img.boxes[g], adjust(dets[d].box));
        if (v >= kMatchIou) pairs.push_back({v, g, d});
      }
    std::sort(pairs.begin(), pairs.end(),
              [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<bool> gtUsed(img.boxes.size()), detUsed(dets.size());
    int found = 0, ignoredHits = 0;
    for (const auto& p : pairs) {
      if (gtUsed[p.gt] || detUsed[p.det]) continue;
      gtUsed[p.gt] = detUsed[p.det] = true;
      (img.ignore[p.gt] ? ignoredHits : found) += 1;
      const auto& lm = dets[p.det].landmarks;
      if (lm && img.parts[p.gt].size() >= 68) {
        const double e = eyeError(*lm, img.parts[p.gt]);
        ++stats.withLandmarks;
        stats.eyesAccurate += e <= kEyeTolerance;
        stats.eyeErrorSum += e;
      }
    }
    const int faces = static_cast<int>(std::count(img.ignore.begin(), img.ignore.end(), false));
    const int fp = static_cast<int>(dets.size()) - found - ignoredHits;
    std::cout << "  " << img.file << ": " << found << "/" << faces << " faces, " << fp
              << " false positives\n";
    stats.faces += faces;
    stats.found += found;
    stats.falsePositives += fp;
  }
  return stats;
}

void report(const std::string& name, const DetectionStats& s) {
  std::cout << name << ": recall " << s.found << "/" << s.faces << " = " << s.recall()
            << ", false positives " << s.falsePositives << "\n";
  ::testing::Test::RecordProperty("recall", std::to_string(s.recall()));
  ::testing::Test::RecordProperty("false_positives", s.falsePositives);
}

bool haveHaar() {
  return fs::exists(fs::path(kHaarDir) / "haarcascade_frontalface_default.xml");
}

#define REQUIRE_HAAR()                                               \
  do {                                                               \
    if (!haveHaar())                                                 \
      GTEST_SKIP() << "needs OpenCV's Haar cascades in " << kHaarDir \
                   << " (Debian package opencv-data)";               \
  } while (0)

DetectorConfig haarConfig() {
  DetectorConfig c;
  c.kind = DetectorKind::Haar;
  c.minFaceSize = kMinFace;
  return c;
}

DetectorConfig mtcnnConfig() {
  DetectorConfig c;
  c.kind = DetectorKind::Mtcnn;
  c.minFaceSize = kMinFace;
  c.mtcnnDir = (fs::path(microfer::test::sharedDir()) / kMtcnnDir).string();
  return c;
}

/// The message of the DetectorSetupError that creating `config`'s detector throws; a test
/// failure (and "") where it throws none.
std::string setupErrorOf(const DetectorConfig& config) {
  try {
    microfer::createFaceDetector(config);
  } catch (const microfer::DetectorSetupError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected DetectorSetupError";
  return "";
}

// ---------------------------------------------------------------------------------------------
// Pure functions

TEST(Detectors, IouOfHandMadeBoxes) {
  const cv::Rect2f a(0, 0, 10, 10);
  EXPECT_FLOAT_EQ(microfer::iou(a, a), 1.f);
  EXPECT_FLOAT_EQ(microfer::iou(a, cv::Rect2f(20, 20, 5, 5)), 0.f);   // disjoint
  EXPECT_FLOAT_EQ(microfer::iou(a, cv::Rect2f(10, 0, 10, 10)), 0.f);  // touching edge
  EXPECT_FLOAT_EQ(microfer::iou(a, cv::Rect2f(5, 0, 10, 10)), 50.f / 150.f);
  EXPECT_FLOAT_EQ(microfer::iou(a, cv::Rect2f(2, 2, 5, 5)), 25.f / 100.f);    // nested
  EXPECT_FLOAT_EQ(microfer::iou(cv::Rect2f(5, 5, 10, 10), a), 25.f / 175.f);  // symmetric
  EXPECT_FLOAT_EQ(microfer::iou(a, cv::Rect2f(3, 3, 0, 0)), 0.f);             // empty box
}

TEST(Detectors, ParsesAndPrintsKinds) {
  EXPECT_EQ(microfer::parseDetectorKind("haar"), DetectorKind::Haar);
  EXPECT_EQ(microfer::parseDetectorKind("MTCNN"), DetectorKind::Mtcnn);
  EXPECT_EQ(microfer::toString(DetectorKind::Haar), "haar");
  EXPECT_EQ(microfer::parseDetectorKind(microfer::toString(DetectorKind::Mtcnn)),
            DetectorKind::Mtcnn);
  EXPECT_EQ(microfer::parseDetectorKind("YuNet"), DetectorKind::Yunet);
  EXPECT_EQ(microfer::toString(DetectorKind::Yunet), "yunet");
  EXPECT_THROW(microfer::parseDetectorKind("hog"), std::invalid_argument);
}

TEST(Detectors, ParsesAndPrintsChoices) {
  using microfer::DetectorChoice;
  // The names are what the app's settings file and the CLI's --detector hold: they round-trip.
  for (DetectorChoice c : {DetectorChoice::Auto, DetectorChoice::Haar, DetectorChoice::Mtcnn,
                           DetectorChoice::Yunet})
    EXPECT_EQ(microfer::parseDetectorChoice(microfer::toString(c)), c);
  EXPECT_EQ(microfer::toString(DetectorChoice::Auto), "auto");
  EXPECT_EQ(microfer::toString(DetectorChoice::Haar), "haar");
  EXPECT_EQ(microfer::toString(DetectorChoice::Mtcnn), "mtcnn");
  EXPECT_EQ(microfer::toString(DetectorChoice::Yunet), "yunet");
  EXPECT_EQ(microfer::parseDetectorChoice("MTCNN"), DetectorChoice::Mtcnn);
  EXPECT_EQ(microfer::parseDetectorChoice("Auto"), DetectorChoice::Auto);
  for (const char* bad : {"", "dlib", "auto "}) {
    try {
      microfer::parseDetectorChoice(bad);
      ADD_FAILURE() << "expected std::invalid_argument for '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("'auto', 'haar', 'mtcnn' or 'yunet'"), std::string::npos) << msg;
    }
  }
  // The explicit choices resolve without looking for weights.
  EXPECT_EQ(microfer::resolveDetectorChoice(DetectorChoice::Haar), DetectorKind::Haar);
  EXPECT_EQ(microfer::resolveDetectorChoice(DetectorChoice::Mtcnn, "/nonexistent/microfer-mtcnn"),
            DetectorKind::Mtcnn);
  EXPECT_EQ(microfer::resolveDetectorChoice(DetectorChoice::Yunet, "", "/nonexistent/yunet"),
            DetectorKind::Yunet);
}

TEST(Detectors, MissingMtcnnDirThrowsNamingTheFolder) {
  DetectorConfig c;
  c.kind = DetectorKind::Mtcnn;
  c.mtcnnDir = "/nonexistent/microfer-mtcnn-weights";
  EXPECT_EQ(microfer::findMtcnnDir(c.mtcnnDir), "");
  const std::string msg = setupErrorOf(c);
  EXPECT_NE(msg.find(c.mtcnnDir), std::string::npos) << msg;
  EXPECT_NE(msg.find("kpzhang93/MTCNN_face_detection_alignment"), std::string::npos) << msg;
  EXPECT_NE(msg.find("MICROFER_MTCNN_DIR"), std::string::npos) << msg;
}

TEST(Detectors, MtcnnDirFromTheEnvironmentIsTheOnlyFolderTried) {
  const char* old = std::getenv("MICROFER_MTCNN_DIR");
  const std::string previous = old ? old : "";
  const std::string wrong = "/nonexistent/microfer-mtcnn-from-env";
  ::setenv("MICROFER_MTCNN_DIR", wrong.c_str(), 1);
  // Even where models/mtcnn or ../shared holds the weights, a wrong explicit folder is reported.
  EXPECT_EQ(microfer::findMtcnnDir(), "");
  DetectorConfig c;
  c.kind = DetectorKind::Mtcnn;
  try {
    microfer::createFaceDetector(c);
    ADD_FAILURE() << "expected DetectorSetupError";
  } catch (const microfer::DetectorSetupError& e) {
    EXPECT_NE(std::string(e.what()).find(wrong), std::string::npos) << e.what();
  }
  if (old)
    ::setenv("MICROFER_MTCNN_DIR", previous.c_str(), 1);
  else
    ::unsetenv("MICROFER_MTCNN_DIR");
}

// Auto: YuNet where its models are found, else MTCNN where its weights are, else Haar.
TEST(Detectors, AutoChoiceIsYunetThenMtcnnThenHaarWhereTheirWeightsAreFound) {
  EXPECT_EQ(microfer::resolveDetectorChoice("haar"), DetectorKind::Haar);
  EXPECT_EQ(microfer::resolveDetectorChoice("MTCNN"), DetectorKind::Mtcnn);
  EXPECT_EQ(microfer::resolveDetectorChoice("yunet"), DetectorKind::Yunet);
  EXPECT_THROW(microfer::resolveDetectorChoice("dlib"), std::invalid_argument);
  EXPECT_THROW(microfer::resolveDetectorChoice(""), std::invalid_argument);
  const std::string noYunet = "/nonexistent/microfer-yunet";
  // No weights in the folders asked for: Haar, which needs only OpenCV.
  EXPECT_EQ(microfer::resolveDetectorChoice("auto", "/nonexistent/microfer-mtcnn", noYunet),
            DetectorKind::Haar);
  // The default search: YuNet exactly where createFaceDetector would find its models (they
  // ship in models/yunet).
  EXPECT_NE(microfer::findYunetDir(), "");
  EXPECT_EQ(microfer::resolveDetectorChoice("auto"), DetectorKind::Yunet);
  EXPECT_EQ(microfer::resolveDetectorChoice(microfer::DetectorChoice::Auto),
            microfer::resolveDetectorChoice("auto"));
  DetectorConfig y;
  y.kind = microfer::resolveDetectorChoice("auto");
  EXPECT_EQ(microfer::createFaceDetector(y)->kind(), DetectorKind::Yunet);
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  const std::string weights = microfer::test::sharedDir() + "/" + kMtcnnDir;
  EXPECT_EQ(microfer::resolveDetectorChoice("Auto", weights, noYunet), DetectorKind::Mtcnn);
  EXPECT_EQ(microfer::resolveDetectorChoice(microfer::DetectorChoice::Auto, weights, noYunet),
            DetectorKind::Mtcnn);
  DetectorConfig c;
  c.kind = microfer::resolveDetectorChoice("auto", weights, noYunet);
  c.mtcnnDir = weights;
  EXPECT_EQ(microfer::createFaceDetector(c)->kind(), DetectorKind::Mtcnn);
}

TEST(Detectors, MissingHaarDirThrowsNamingTheFolder) {
  DetectorConfig c = haarConfig();
  c.haarDir = "/nonexistent/microfer-cascades";
  try {
    microfer::createFaceDetector(c);
    FAIL() << "expected DetectorSetupError";
  } catch (const microfer::DetectorSetupError& e) {
    EXPECT_NE(std::string(e.what()).find(c.haarDir), std::string::npos) << e.what();
  }
}

TEST(Detectors, DefaultSearchFindsSharedMtcnnWeights) {
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  EXPECT_NE(microfer::findMtcnnDir(), "");
}

// ---------------------------------------------------------------------------------------------
// Haar

// Boxes of OpenCV's frontal-face cascade are about 1/0.88 the size of dlib's hand-drawn boxes
// (which hug eyebrows to chin) and dlib's box starts 0.13 of the Haar box height lower
// (measured over the matched faces). This maps a Haar box onto dlib's convention before the
// IoU >= 0.5 test, so that recall measures finding the face rather than agreeing on a box
// style. MTCNN boxes need no such mapping (mean IoU 0.69 with the hand-drawn boxes as is).
cv::Rect2f haarToDlib(const cv::Rect2f& b) {
  const float s = 0.88f;
  return cv::Rect2f(b.x + 0.5f * (1 - s) * b.width, b.y + 0.13f * b.height, s * b.width,
                    s * b.height);
}

TEST(Haar, RecallAndFalsePositivesOnDlibFaces) {
  REQUIRE_HAAR();
  MICROFER_REQUIRE_SHARED(kFacesDir);
  auto det = microfer::createFaceDetector(haarConfig());
  ASSERT_EQ(det->kind(), DetectorKind::Haar);
  const auto stats = evaluate(*det, labeledFaces(), haarToDlib);
  report("Haar", stats);
  EXPECT_EQ(stats.faces, 43);
  // Measured: 35/43 found (the misses are mostly the 37-pixel faces), 0 false positives.
  EXPECT_GE(stats.found, 33);
  EXPECT_LE(stats.falsePositives, 2);
}

TEST(Haar, EyesAgreeWithDlibLandmarks) {
  REQUIRE_HAAR();
  MICROFER_REQUIRE_SHARED(kFacesDir);
  auto det = microfer::createFaceDetector(haarConfig());
  const auto stats = evaluate(*det, landmarkedFaces(), haarToDlib);
  std::cout << "Haar eyes: found on " << stats.withLandmarks << "/" << stats.found
            << " detected faces, " << stats.eyesAccurate << " within " << kEyeTolerance
            << " inter-ocular distances, mean worse-eye error "
            << stats.eyeErrorSum / std::max(1, stats.withLandmarks) << "\n";
  RecordProperty("eyes_found", stats.withLandmarks);
  RecordProperty("eyes_accurate", stats.eyesAccurate);
  // Measured: eyes on 23 of 35 faces (most are under 50 pixels), all 23 accurate. Missing
  // eyes are fine (the aligner falls back to the box); wrong ones are not.
  EXPECT_GE(stats.withLandmarks, 19);
  EXPECT_GE(stats.eyeAccuracy(), 0.9);
}

// dogs.jpg has four dog faces and no human one. Checked with the default settings (smallest
// face 40 px), as the application runs.
TEST(Haar, NoFaceOnDogs) {
  REQUIRE_HAAR();
  MICROFER_REQUIRE_SHARED(kFacesDir);
  DetectorConfig config;
  config.kind = DetectorKind::Haar;
  auto det = microfer::createFaceDetector(config);
  const cv::Mat dogs = cv::imread(facesPath("dogs.jpg"));
  ASSERT_FALSE(dogs.empty());
  EXPECT_TRUE(det->detect(dogs).empty());
}

TEST(Haar, EmptyImageGivesNoFaces) {
  REQUIRE_HAAR();
  auto det = microfer::createFaceDetector(haarConfig());
  EXPECT_TRUE(det->detect(cv::Mat()).empty());
  EXPECT_TRUE(det->detect(cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(128))).empty());
  EXPECT_TRUE(det->lastStages().empty());  // Haar does not time stages
}

// ---------------------------------------------------------------------------------------------
// MTCNN

cv::Rect2f mtcnnToDlib(const cv::Rect2f& b) {
  return b;
}

/// The boxes of a detector whose boxes follow dlib's convention (MTCNN, YuNet) against the 43
/// hand-drawn faces: all counted, at least `minFound` found, at most `maxFalse` false ones.
void expectRecallOnDlibFaces(const DetectorConfig& config, int minFound, int maxFalse) {
  auto det = microfer::createFaceDetector(config);
  ASSERT_EQ(det->kind(), config.kind);
  const auto stats = evaluate(*det, labeledFaces(), mtcnnToDlib);
  report(microfer::toString(config.kind), stats);
  EXPECT_EQ(stats.faces, 43);
  EXPECT_GE(stats.found, minFound);
  EXPECT_LE(stats.falsePositives, maxFalse);
}

/// Every face found has five landmarks, and at least 90 % have both eyes within a quarter of
/// the inter-ocular distance of the hand landmarks.
void expectEyesOnDlibFaces(const DetectorConfig& config) {
  auto det = microfer::createFaceDetector(config);
  const auto stats = evaluate(*det, landmarkedFaces(), mtcnnToDlib);
  std::cout << microfer::toString(config.kind) << " eyes: " << stats.eyesAccurate << "/"
            << stats.withLandmarks << " within " << kEyeTolerance
            << " inter-ocular distances, mean worse-eye error "
            << stats.eyeErrorSum / std::max(1, stats.withLandmarks) << "\n";
  ::testing::Test::RecordProperty("eyes_accurate", stats.eyesAccurate);
  EXPECT_EQ(stats.withLandmarks, stats.found) << "every face has landmarks";
  EXPECT_GE(stats.eyeAccuracy(), 0.9);
}

// Measured 2026-12-07: 43/43 found, 1 false positive (earlier: 2, a hand and a 17-pixel blob,
// both scored < 0.85).
TEST(Mtcnn, RecallAndFalsePositivesOnDlibFaces) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  expectRecallOnDlibFaces(mtcnnConfig(), 41, 4);
}

// Measured: 42/43, mean error 0.08. A transposition or x/y mix-up drops this to near 0.
TEST(Mtcnn, EyesAgreeWithDlibLandmarks) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  expectEyesOnDlibFaces(mtcnnConfig());
}

// With the default smallest face (40 px). At 20 px MTCNN also takes one dog's eye (26 px,
// score 0.77) for a face.
TEST(Mtcnn, NoFaceOnDogs) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  DetectorConfig config = mtcnnConfig();
  config.minFaceSize = DetectorConfig().minFaceSize;
  auto det = microfer::createFaceDetector(config);
  const cv::Mat dogs = cv::imread(facesPath("dogs.jpg"));
  ASSERT_FALSE(dogs.empty());
  EXPECT_TRUE(det->detect(dogs).empty());
}

TEST(Mtcnn, EmptyImageGivesNoFaces) {
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  auto det = microfer::createFaceDetector(mtcnnConfig());
  EXPECT_TRUE(det->detect(cv::Mat()).empty());
  EXPECT_TRUE(det->detect(cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(128))).empty());
}

TEST(Mtcnn, LandmarksOnPortrait) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  MICROFER_REQUIRE_SHARED(kMtcnnDir);
  auto det = microfer::createFaceDetector(mtcnnConfig());
  const cv::Mat portrait = cv::imread(facesPath("Tom_Cruise_avp_2014_4.jpg"));
  ASSERT_FALSE(portrait.empty());
  const auto faces = det->detect(portrait);
  ASSERT_FALSE(faces.empty());
  // Its stages, as microfer-bench prints them: each narrows the boxes down to the faces.
  const auto stages = det->lastStages();
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[0].name, "p-net");
  EXPECT_EQ(stages[1].name, "r-net");
  EXPECT_EQ(stages[2].name, "o-net");
  EXPECT_GE(stages[0].boxes, stages[1].boxes);
  EXPECT_GE(stages[1].boxes, stages[2].boxes);
  EXPECT_GE(stages[2].boxes, static_cast<int>(faces.size()));  // less any cut off by clipping
  for (const auto& st : stages) EXPECT_GT(st.ms, 0) << st.name;
  EXPECT_TRUE(det->detect(cv::Mat()).empty());
  EXPECT_TRUE(det->lastStages().empty());  // an empty image runs no stage
  for (const auto& f : faces) {
    ASSERT_TRUE(f.landmarks.has_value());
    EXPECT_GT(f.score, 0.7f);
    const auto& lm = *f.landmarks;
    for (int k = 0; k < 5; ++k)
      EXPECT_TRUE(f.box.contains(lm[k]))
          << "landmark " << k << " at " << lm[k] << " outside " << f.box;
    EXPECT_LT(lm[0].x, lm[1].x) << "eyes";
    EXPECT_LT(lm[3].x, lm[4].x) << "mouth corners";
    EXPECT_LT(std::max(lm[0].y, lm[1].y), lm[2].y) << "nose below the eyes";
    EXPECT_LT(lm[2].y, std::min(lm[3].y, lm[4].y)) << "mouth below the nose";
  }
}

// ---------------------------------------------------------------------------------------------
// YuNet (shipped in models/yunet)

DetectorConfig yunetConfig() {
  DetectorConfig c;
  c.kind = DetectorKind::Yunet;
  c.minFaceSize = kMinFace;
  c.yunetDir = (fs::path(MICROFER_SOURCE_DIR) / "models" / "yunet").string();
  return c;
}

// Measured (score 0.7, min face 20 px: a 640 input for these photos): 43/43 found, 1 false
// positive (MTCNN: 43/43, 1). With a 320 input, 42/43: one box overlapped the hand-drawn one
// by IoU 0.46.
TEST(Yunet, RecallAndFalsePositivesOnDlibFaces) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  expectRecallOnDlibFaces(yunetConfig(), 42, 2);
}

// Measured: 42/43 within a quarter of the inter-ocular distance, mean worse-eye error 0.13
// (MTCNN 42/43, 0.08); with a 320 input for these photos 36/42, 0.17 (docs/DETECTORS.md).
// A swapped eye order or a wrong stride drops this to near 0.
TEST(Yunet, EyesAgreeWithDlibLandmarks) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  expectEyesOnDlibFaces(yunetConfig());
}

// With the default smallest face (40 px) and score threshold (0.7). Measured: YuNet takes two of
// the three dogs' faces for people's (scores 0.82 and 0.71) where MTCNN sees none: a known
// weakness of the detector, said in docs/DETECTORS.md. At 0.85 it sees none, and finds 3 % fewer
// faces in the FER2013 validation crops than at 0.7 (0.8: 93.98 against 96.15 %).
TEST(Yunet, DogFacesOnlyAboveAStricterThreshold) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  DetectorConfig config = yunetConfig();
  config.minFaceSize = DetectorConfig().minFaceSize;
  config.yunetScoreThreshold = DetectorConfig().yunetScoreThreshold;
  auto det = microfer::createFaceDetector(config);
  const cv::Mat dogs = cv::imread(facesPath("dogs.jpg"));
  ASSERT_FALSE(dogs.empty());
  EXPECT_LE(det->detect(dogs).size(), 2u);
  config.yunetScoreThreshold = 0.85f;
  EXPECT_TRUE(microfer::createFaceDetector(config)->detect(dogs).empty());
}

TEST(Yunet, InputSizeFollowsTheSmallestFaceAndEmptyImagesGiveNoFaces) {
  DetectorConfig config = yunetConfig();
  config.minFaceSize = 40;
  auto det = microfer::createFaceDetector(config);
  const auto sideFor = [&](int w, int h) {
    det->detect(cv::Mat(h, w, CV_8UC3, cv::Scalar::all(128)));
    return det->lastStages().at(0).name;
  };
  // 640 x 480 at 320: a 40 px face becomes 20 px, enough for the small network.
  EXPECT_EQ(sideFor(640, 480), "yunet-320");
  // 1920 x 1080 at 320: 40 px -> 6.7 px: the 640 network (13 px, the best it can do).
  EXPECT_EQ(sideFor(1920, 1080), "yunet-640");
  det->setMinFaceSize(20);
  EXPECT_EQ(sideFor(640, 480), "yunet-640");
  EXPECT_TRUE(det->detect(cv::Mat()).empty());
  EXPECT_TRUE(det->lastStages().empty());
  EXPECT_TRUE(det->detect(cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(128))).empty());
  DetectorConfig missing = yunetConfig();
  missing.yunetDir = "/nonexistent/microfer-yunet";
  const std::string msg = setupErrorOf(missing);
  EXPECT_NE(msg.find(missing.yunetDir), std::string::npos) << msg;
  EXPECT_NE(msg.find("MICROFER_YUNET_DIR"), std::string::npos) << msg;
}

TEST(Yunet, LandmarksOnPortrait) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  auto det = microfer::createFaceDetector(yunetConfig());
  const cv::Mat portrait = cv::imread(facesPath("Tom_Cruise_avp_2014_4.jpg"));
  ASSERT_FALSE(portrait.empty());
  const auto faces = det->detect(portrait);
  ASSERT_EQ(faces.size(), 1u);
  const auto stages = det->lastStages();
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].name.rfind("yunet-", 0), 0u) << stages[0].name;
  EXPECT_EQ(stages[1].name, "nms");
  EXPECT_GE(stages[0].boxes, stages[1].boxes);
  const auto& f = faces.front();
  ASSERT_TRUE(f.landmarks.has_value());
  EXPECT_EQ(f.measuredLandmarks, 5);
  EXPECT_GT(f.score, 0.6f);
  const auto& lm = *f.landmarks;
  for (int k = 0; k < 5; ++k)
    EXPECT_TRUE(f.box.contains(lm[k])) << "landmark " << k << " at " << lm[k] << " outside "
                                       << f.box;
  EXPECT_LT(lm[0].x, lm[1].x) << "eyes";
  EXPECT_LT(lm[3].x, lm[4].x) << "mouth corners";
  EXPECT_LT(std::max(lm[0].y, lm[1].y), lm[2].y) << "nose below the eyes";
  EXPECT_LT(lm[2].y, std::min(lm[3].y, lm[4].y)) << "mouth below the nose";
}

// ---------------------------------------------------------------------------------------------
// All detectors

TEST(Detectors, AcceptGrayAndBgraAndRejectOtherTypes) {
  MICROFER_REQUIRE_SHARED(kFacesDir);
  const cv::Mat bgr = cv::imread(facesPath("Tom_Cruise_avp_2014_4.jpg"));
  ASSERT_FALSE(bgr.empty());
  cv::Mat gray, bgra;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  std::vector<DetectorConfig> configs;
  if (haveHaar()) configs.push_back(haarConfig());
  if (microfer::test::haveShared(kMtcnnDir)) configs.push_back(mtcnnConfig());
  configs.push_back(yunetConfig());
  for (const auto& config : configs) {
    auto det = microfer::createFaceDetector(config);
    const std::string name = microfer::toString(config.kind);
    EXPECT_EQ(det->detect(gray).size(), 1u) << name << " on gray";
    EXPECT_EQ(det->detect(bgra).size(), 1u) << name << " on BGRA";
    cv::Mat floats;
    bgr.convertTo(floats, CV_32FC3);
    EXPECT_THROW(det->detect(floats), std::invalid_argument) << name;
  }
}

}  // namespace
