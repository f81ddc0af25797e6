// The models shipped in models/ (the default and the others beside it): present, intact
// (checksum verified on load), FER2013 class order, and each labels the bundled smiling
// portrait happy through the full pipeline; the default also in a stream where detection
// follows the face between whole-frame searches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "microfer/classify/model_file.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {

const std::string kShipped = test::sourceDir() + "/models/microfer-resnet10.mfm";

/// Every model file shipped in models/: the default and the others beside it.
std::vector<std::string> shippedModels() {
  std::vector<std::string> models;
  for (const auto& e : std::filesystem::directory_iterator(test::sourceDir() + "/models"))
    if (e.path().extension() == ".mfm") models.push_back(e.path().string());
  std::sort(models.begin(), models.end());
  return models;
}

TEST(ShippedModel, EveryModelIsIntactWithFer2013ClassOrder) {
  const auto models = shippedModels();
  ASSERT_NE(std::find(models.begin(), models.end(), kShipped), models.end())
      << "the default model is missing: " << kShipped;
  for (const std::string& path : models) {
    ClassifierConfig cc;
    cc.modelPath = path;
    ExpressionClassifier clf(cc);  // throws on a checksum mismatch or truncation
    const auto& names = clf.classNames();
    ASSERT_EQ(names.size(), 7u) << path;
    for (int i = 0; i < kNumEmotions; ++i)
      EXPECT_EQ(names[i], emotionNames()[i]) << path << " " << i;
    EXPECT_EQ(clf.cropGeometry().size, 48) << path;
    // Every shipped model has MicroFER's wiring (raw A, 1x1 biases): files written before the
    // wiring was stored read as it, later ones (v5) store it.
    ModelInfo info;
    loadModel(path, info);
    EXPECT_TRUE(info.network.attentionRawFirst) << path;
    EXPECT_TRUE(info.network.attentionBias) << path;
  }
}

TEST(ShippedModel, EveryModelLabelsTheBundledSmileHappy) {
  const cv::Mat img = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(img.empty());
  for (const std::string& model : shippedModels()) {
    for (DetectorKind kind : {DetectorKind::Haar, DetectorKind::Mtcnn, DetectorKind::Yunet}) {
      if (kind == DetectorKind::Mtcnn && findMtcnnDir().empty()) continue;
      for (TtaMode tta : {TtaMode::Off, TtaMode::Flip, TtaMode::Full}) {
        PipelineConfig pc;
        pc.detector.kind = kind;
        pc.classifier.modelPath = model;
        pc.classifier.tta.mode = tta;
        Pipeline p(pc);
        const FrameResult r = p.process(img, "astronaut.png");
        ASSERT_EQ(r.faces.size(), 1u) << toString(kind);
        EXPECT_EQ(emotionNames()[r.faces[0].prediction.label], "happy")
            << model << " / " << toString(kind) << " / " << toString(tta);
      }
    }
  }
}

// A camera-like sequence: the portrait, scaled to 440 px (its face about 85 px wide), drifting
// a few pixels per frame over a 640x480 frame.
cv::Mat driftingFrame(const cv::Mat& portrait, int i) {
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(90, 110, 100));
  cv::Mat scaled;
  cv::resize(portrait, scaled, cv::Size(440, 440), 0, 0, cv::INTER_AREA);
  scaled.copyTo(frame(cv::Rect(40 + 6 * i, 4 + 2 * i, scaled.cols, scaled.rows)));
  return frame;
}

TEST(StreamDetection, FollowsFacesBetweenWholeFrameSearches) {
  const cv::Mat img = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(img.empty());
  for (DetectorKind kind : {DetectorKind::Haar, DetectorKind::Mtcnn}) {
    if (kind == DetectorKind::Mtcnn && findMtcnnDir().empty()) continue;
    PipelineConfig pc;
    pc.detector.kind = kind;
    pc.classifier.modelPath = kShipped;
    pc.detectEvery = 5;
    Pipeline stream(pc), still(pc);
    for (int i = 0; i < 12; ++i) {
      const cv::Mat frame = driftingFrame(img, i);
      const FrameResult s = stream.processStream(frame, "drift", i);
      const FrameResult w = still.process(frame, "drift", i);
      ASSERT_EQ(s.faces.size(), 1u) << toString(kind) << " frame " << i;
      ASSERT_EQ(w.faces.size(), 1u) << toString(kind) << " frame " << i;
      // The face followed near its last box is the face a whole-frame search finds.
      EXPECT_GT(iou(s.faces[0].detection.box, w.faces[0].detection.box), 0.8f)
          << toString(kind) << " frame " << i;
      EXPECT_EQ(s.faces[0].detection.hasEyes(), w.faces[0].detection.hasEyes());
      EXPECT_EQ(emotionNames()[s.faces[0].prediction.label], "happy") << toString(kind);
    }
    // Whole-frame searches on frames 0, 5 and 10 only.
    EXPECT_EQ(stream.wholeFrameSearches(), 3) << toString(kind);
    EXPECT_EQ(stream.nearSearches(), 9) << toString(kind);

    // A frame without a face empties the stream's faces: the next frame searches the whole
    // frame at once rather than waiting for the fifth.
    const cv::Mat blank(480, 640, CV_8UC3, cv::Scalar(90, 110, 100));
    EXPECT_TRUE(stream.processStream(blank, "drift", 12).faces.empty());
    EXPECT_EQ(stream.processStream(driftingFrame(img, 0), "drift", 13).faces.size(), 1u);
    EXPECT_EQ(stream.wholeFrameSearches(), 5) << toString(kind);

    // detectEvery 1: every stream frame is exactly a still-image frame.
    pc.detectEvery = 1;
    Pipeline every(pc);
    for (int i = 0; i < 3; ++i) {
      const cv::Mat frame = driftingFrame(img, i);
      const FrameResult s = every.processStream(frame, "drift", i);
      const FrameResult w = still.process(frame, "drift", i);
      ASSERT_EQ(s.faces.size(), w.faces.size());
      EXPECT_EQ(s.faces[0].detection.box, w.faces[0].detection.box);
      EXPECT_EQ(s.faces[0].prediction.probs, w.faces[0].prediction.probs);
    }
    EXPECT_EQ(every.nearSearches(), 0);
  }
}


// The MTCNN weights ship in models/mtcnn/ (MIT): intact by their checksums, found without
// ../shared or any environment variable, so `auto` is MTCNN on every fresh clone.
TEST(ShippedModel, DetectorWeightsShipWithTheirLicencesAndAutoPicksYunet) {
  const std::string mtcnn = test::sourceDir() + "/models/mtcnn";
  const std::string yunet = test::sourceDir() + "/models/yunet";
  for (const std::string& dir : {mtcnn, yunet}) {
    for (const char* f : {"LICENSE", "README.md", "SHA256SUMS"})
      EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << dir << "/" << f;
    EXPECT_EQ(std::system(("cd \"" + dir + "\" && sha256sum --quiet -c SHA256SUMS").c_str()), 0)
        << dir;
  }
  EXPECT_NE(test::slurp(mtcnn + "/LICENSE").find("MIT License"), std::string::npos);
  EXPECT_NE(test::slurp(yunet + "/LICENSE").find("Apache License"), std::string::npos);
  for (const char* env : {"MICROFER_MTCNN_DIR", "MICROFER_YUNET_DIR"})
    if (const char* v = std::getenv(env); v && *v)
      GTEST_SKIP() << env << " is set: the shipped folder is not tried";
  EXPECT_EQ(std::filesystem::canonical(findMtcnnDir()), std::filesystem::canonical(mtcnn))
      << "the source tree's copy comes first";
  EXPECT_EQ(std::filesystem::canonical(findYunetDir()), std::filesystem::canonical(yunet))
      << "the source tree's copy comes first";
  EXPECT_EQ(resolveDetectorChoice("auto"), DetectorKind::Yunet);
}

}  // namespace
}  // namespace microfer
