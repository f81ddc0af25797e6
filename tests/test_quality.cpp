// The live view's adaptive quality: the ladder, the controller on injected frame costs, and
// LabelSession streaming a real pipeline under a scripted load.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>

#include "microfer/pipeline/label_session.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/pipeline/quality_controller.hpp"
#include "microfer/output/results_writer.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

std::string tags(const std::vector<QualityLevel>& ladder) {
  std::string s;
  for (const auto& q : ladder) s += (s.empty() ? "" : " ") + q.tag();
  return s;
}

TEST(QualityLadder, StepsFromTheUsersSettingsDownOneAtATime) {
  EXPECT_EQ(tags(qualityLadder({TtaMode::Full, 5, 40})),
            "full/5/40 flip/5/40 off/5/40 off/10/40 off/20/40 off/20/60 off/20/80 off/20/80/2 off/20/80/3");
  // Never above the user's own: detect every 1 goes through 5; flip starts below full.
  EXPECT_EQ(tags(qualityLadder({TtaMode::Flip, 1, 12})),
            "flip/1/12 off/1/12 off/5/12 off/10/12 off/20/12 off/20/18 off/20/24 off/20/24/2 off/20/24/3");
  EXPECT_EQ(tags(qualityLadder({TtaMode::Off, 30, 9000})), "off/30/9000 off/30/10000 off/30/10000/2 off/30/10000/3")
      << "min face at most 10000; detect every never below the user's";
}

TEST(QualityController, BudgetFromTheSourceFrameRate) {
  const auto ladder = qualityLadder({});
  EXPECT_DOUBLE_EQ(QualityController(ladder, 30).budgetMs(), 1000.0 / 30);
  EXPECT_DOUBLE_EQ(QualityController(ladder, 0).budgetMs(), 40.0) << "unknown fps: 25";
  EXPECT_DOUBLE_EQ(QualityController(ladder, -5).budgetMs(), 40.0);
  EXPECT_THROW(QualityController({}, 25), std::invalid_argument);
}

TEST(QualityController, FallsStepByStepUnderLoadAndRecoversAfterIt) {
  const QualityPolicy policy;  // the live view's own
  QualityController c(qualityLadder({TtaMode::Full, 5, 40}), 25, policy);
  const int bottom = static_cast<int>(c.ladder().size()) - 1;
  const double budget = c.budgetMs();
  EXPECT_EQ(c.describe(), "quality: full, detect every 5");

  // Twice the budget: one step at a time, each after the new level has settled.
  std::vector<int> levels;
  for (int i = 0; i < 100; ++i) {
    const int before = c.levelIndex();
    c.record(2 * budget);
    EXPECT_LE(c.levelIndex() - before, 1) << "frame " << i << ": one step at a time";
    levels.push_back(c.levelIndex());
  }
  EXPECT_EQ(c.levelIndex(), bottom);
  EXPECT_EQ(levels[policy.settleFrames - 2], 0) << "no step before the cost is measured";
  EXPECT_EQ(levels[policy.settleFrames - 1], 1);
  EXPECT_EQ(levels[2 * policy.settleFrames - 2], 1) << "the next level settles first";
  EXPECT_EQ(c.describe(), "quality: off, detect every 20, min face 80, labels every 3 frames");

  // Load over (0.3 x budget): back up one step at a time, to the user's settings.
  int frames = 0;
  while (c.levelIndex() > 0 && frames < 1000) {
    const int before = c.levelIndex();
    c.record(0.3 * budget);
    ++frames;
    EXPECT_GE(c.levelIndex(), before - 1) << "one step at a time";
    EXPECT_LE(c.levelIndex(), before) << "never down when cheap";
  }
  EXPECT_EQ(c.levelIndex(), 0);
  // Each step up waits for a sustained run of cheap frames (the first one also for the
  // average of the loaded frames to come down).
  const int perStep = policy.settleFrames - 1 + policy.upAfterFrames;
  EXPECT_GE(frames, bottom * perStep);
  EXPECT_LE(frames, bottom * perStep + 10);
  EXPECT_EQ(c.level().tag(), "full/5/40");
}

TEST(QualityController, NoOscillationBetweenTheThresholds) {
  QualityController c(qualityLadder({TtaMode::Full, 5, 40}), 25);
  const double budget = c.budgetMs();
  // Between 0.6 and 0.9 of the budget: the level stays where it is, wherever that is.
  for (int i = 0; i < 500; ++i) EXPECT_FALSE(c.record(0.75 * budget)) << "frame " << i;
  EXPECT_EQ(c.levelIndex(), 0);
  while (c.levelIndex() < 3) c.record(2 * budget);
  int changes = 0;
  for (int i = 0; i < 500; ++i) changes += c.record(0.75 * budget) ? 1 : 0;
  EXPECT_EQ(changes, 0);
  EXPECT_EQ(c.levelIndex(), 3);
  // Costs that alternate around the budget's middle: the average stays between, no step.
  for (int i = 0; i < 500; ++i) changes += c.record((i % 2 ? 0.65 : 0.85) * budget) ? 1 : 0;
  EXPECT_EQ(changes, 0);
  // A single slow frame (a hiccup) among cheap ones does not step down.
  QualityController d(qualityLadder({TtaMode::Full, 5, 40}), 25);
  for (int i = 0; i < 200; ++i) d.record((i % 50 == 49 ? 2.0 : 0.3) * budget);
  EXPECT_EQ(d.levelIndex(), 0);
}

// LabelSession on a real pipeline (Haar, an untrained model) with an injected per-frame cost:
// the quality used per frame falls under load and recovers after it, each frame is labelled
// once, and results.csv / results.jsonl name the quality of each frame.
class AdaptiveSession : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::tempDir("adaptive");
    PipelineConfig cfg;
    cfg.classifier.modelPath = test::writeRandomModel(dir, 4);
    cfg.classifier.tta.mode = TtaMode::Full;
    cfg.detector.kind = DetectorKind::Haar;
    cfg.detectEvery = 5;
    cfg.detector.minFaceSize = 40;
    pipeline = std::make_unique<Pipeline>(cfg);
    cv::Mat astronaut = cv::imread(test::sourceDir() + "/assets/astronaut.png");
    ASSERT_FALSE(astronaut.empty());
    cv::resize(astronaut, image, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
  }
  fs::path dir;
  std::unique_ptr<Pipeline> pipeline;
  cv::Mat image;
};

TEST_F(AdaptiveSession, QualityFallsUnderLoadRecoversAndIsRecordedPerFrame) {
  // Enough frames after the load for every step back up (9 levels).
  constexpr int kLoaded = 40, kFrames = 180;
  ResultsWriter writer((dir / "out").string());
  LabelOptions options;
  options.adaptive = true;
  options.writeVideo = false;
  options.qualityPolicy.settleFrames = 3;
  options.qualityPolicy.upAfterFrames = 10;
  const double budget = 1000.0 / 25;
  options.frameCost = [&](long long index, double) {
    return (index < kLoaded ? 2.0 : 0.3) * budget;
  };
  LabelSession session(*pipeline, writer, options);
  std::vector<long long> seen;
  std::vector<std::string> quality;
  session.onFrame([&](const FrameResult& r, const cv::Mat&) {
    seen.push_back(r.frameIndex);
    quality.push_back(r.quality);
    // While a frame runs the pipeline has the lowered settings it is recorded with.
    EXPECT_EQ(r.quality, session.quality()->level().tag()) << "frame " << r.frameIndex;
  });
  session.beginStream("scripted.avi", 25);
  for (int i = 0; i < kFrames; ++i) {
    Frame frame;
    frame.image = image;
    frame.index = i;
    frame.timestampMs = i * 40.0;
    ASSERT_TRUE(session.labelFrame(frame));
  }
  ASSERT_NE(session.quality(), nullptr);
  const std::vector<QualityLevel> ladder = session.quality()->ladder();
  session.endStream();

  // Between frames and after the stream the pipeline has the user's settings again.
  EXPECT_EQ(pipeline->config().classifier.tta.mode, TtaMode::Full);
  EXPECT_EQ(pipeline->config().detectEvery, 5);
  EXPECT_EQ(pipeline->config().detector.minFaceSize, 40);
  EXPECT_EQ(pipeline->config().classifyEvery, 1);

  ASSERT_EQ(seen.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(seen[i], i) << "each frame once, in order";

  std::map<std::string, int> levelOf;
  for (size_t l = 0; l < ladder.size(); ++l) levelOf[ladder[l].tag()] = static_cast<int>(l);
  std::vector<int> level;
  for (const auto& q : quality) {
    ASSERT_TRUE(levelOf.count(q)) << "'" << q << "' is not a level of " << tags(ladder);
    level.push_back(levelOf[q]);
  }
  const int bottom = static_cast<int>(ladder.size()) - 1;
  EXPECT_EQ(level.front(), 0) << "starts at the user's settings";
  for (int i = 1; i < kLoaded; ++i) EXPECT_GE(level[i], level[i - 1]) << "falls under load";
  EXPECT_EQ(level[kLoaded - 1], bottom) << tags(ladder);
  for (int i = kLoaded + 1; i < kFrames; ++i) EXPECT_LE(level[i], level[i - 1]) << "recovers";
  EXPECT_EQ(level.back(), 0) << "back to the user's settings after the load";

  // results.jsonl: one record per frame, each frame once, with the quality it ran at;
  // results.csv: the same quality on every row of that frame.
  const auto records = test::lines(writer.jsonlPath());
  ASSERT_EQ(records.size(), static_cast<size_t>(kFrames));
  std::map<long long, std::string> jsonQuality;
  for (const auto& line : records) {
    const auto j = nlohmann::json::parse(line);
    const long long f = j.at("frame").get<long long>();
    EXPECT_TRUE(jsonQuality.emplace(f, j.at("quality").get<std::string>()).second)
        << "frame " << f << " recorded twice";
  }
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(jsonQuality[i], quality[i]) << "frame " << i;

  const auto csv = test::lines(writer.csvPath());
  ASSERT_GE(csv.size(), 2u) << "Haar finds the astronaut";
  std::vector<std::string> header;
  for (std::stringstream h(csv[0]); h.good();)
    header.emplace_back(), std::getline(h, header.back(), ',');
  ASSERT_GE(header.size(), 2u);
  ASSERT_EQ(header[header.size() - 2], "quality");
  ASSERT_EQ(header.back(), "prediction_age");
  std::set<long long> framesWithRows;
  for (size_t r = 1; r < csv.size(); ++r) {
    std::vector<std::string> row;
    for (std::stringstream s(csv[r]); s.good();)
      row.emplace_back(), std::getline(s, row.back(), ',');
    ASSERT_EQ(row.size(), header.size()) << csv[r];
    const long long f = std::stoll(row[1]);
    framesWithRows.insert(f);
    const std::string& q = quality.at(static_cast<size_t>(f));
    EXPECT_EQ(row[row.size() - 2], q) << "frame " << f;
    // A face's label is its frame's own unless the level classifies every 2nd or 3rd frame.
    const int age = std::stoi(row.back());
    const int every = q.size() > 2 && q[q.size() - 2] == '/' ? q.back() - '0' : 1;
    EXPECT_GE(age, 0);
    EXPECT_LT(age, every) << "frame " << f << " at " << q;
  }
  EXPECT_GT(framesWithRows.size(), static_cast<size_t>(kFrames / 2)) << "faces on most frames";
}

// The cheapest level: a face followed near its last box is classified every other frame and
// keeps its last prediction in between; a whole-frame search always classifies; the frame's
// quality says so. Still images are never affected.
TEST_F(AdaptiveSession, ClassifyEveryOtherFrameKeepsTheLastPredictionOfAFollowedFace) {
  pipeline->setClassifyEvery(2);
  EXPECT_THROW(pipeline->setClassifyEvery(0), std::invalid_argument);
  EXPECT_THROW(pipeline->setClassifyEvery(kLargestClassifyEvery + 1), std::invalid_argument);
  EXPECT_EQ(pipeline->config().classifyEvery, 2) << "a refused value changes nothing";
  // A slightly moving face, so that the boxes and crops differ from frame to frame.
  std::vector<FrameResult> frames;
  std::vector<bool> wholeFrame;
  for (int i = 0; i < 12; ++i) {
    cv::Mat shifted;
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, i % 3, 0, 1, i % 2);
    cv::warpAffine(image, shifted, shift, image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    const long long searches = pipeline->wholeFrameSearches();
    frames.push_back(pipeline->processStream(shifted, "moving.avi", i));
    wholeFrame.push_back(pipeline->wholeFrameSearches() > searches);
  }
  int reused = 0;
  const FrameResult* lastClassified = nullptr;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameResult& r = frames[i];
    EXPECT_EQ(r.quality, "full/5/40/2") << "frame " << i;
    ASSERT_FALSE(r.faces.empty()) << "Haar follows the astronaut, frame " << i;
    const bool classified = r.classifyMs > 0;
    for (const auto& f : r.faces) {
      EXPECT_FALSE(f.aligned.crop.empty()) << "every face is still aligned, frame " << i;
      EXPECT_EQ(f.predictionAge, classified ? 0 : 1) << "each face says how old its label is";
    }
    if (wholeFrame[i]) EXPECT_TRUE(classified) << "a whole-frame search classifies, frame " << i;
    if (!classified) {
      ++reused;
      ASSERT_NE(lastClassified, nullptr) << "frame " << i;
      EXPECT_EQ(lastClassified, &frames[i - 1]) << "never two frames without a classification";
      // Each face keeps the prediction of the face it overlaps most in the last classified
      // frame.
      for (const auto& f : r.faces) {
        const FaceResult* best = nullptr;
        float bestOverlap = 0;
        for (const auto& last : lastClassified->faces) {
          const cv::Rect2f a = f.detection.box, b = last.detection.box;
          const float inter = (a & b).area();
          const float overlap = inter / (a.area() + b.area() - inter);
          if (overlap > bestOverlap) bestOverlap = overlap, best = &last;
        }
        ASSERT_NE(best, nullptr) << "frame " << i;
        EXPECT_EQ(f.prediction.probs, best->prediction.probs)
            << "frame " << i << " keeps the last prediction";
        EXPECT_EQ(f.prediction.label, best->prediction.label);
      }
    } else {
      lastClassified = &r;
    }
  }
  EXPECT_GE(reused, 4) << "about every other frame between whole-frame searches";
  // Attention maps switched on between frames: the next frame is classified (with maps),
  // though it would otherwise keep the last predictions.
  pipeline->resetStream();
  const FrameResult first = pipeline->processStream(image, "moving.avi", 0);
  ASSERT_GT(first.classifyMs, 0);
  pipeline->setWithAttention(true);
  const FrameResult next = pipeline->processStream(image, "moving.avi", 1);
  EXPECT_GT(next.classifyMs, 0);
  ASSERT_FALSE(next.faces.empty());
  EXPECT_FALSE(next.faces[0].prediction.attention.empty());
  pipeline->setWithAttention(false);
  // Still images are always classified and their quality has no such part.
  const FrameResult still = pipeline->process(image, "still.png");
  EXPECT_GT(still.classifyMs, 0);
  EXPECT_EQ(still.quality, "full/1/40");
}

// The last rung: classified every 3rd frame, a followed face's label is 0, 1, then 2 frames
// old, never older, and a whole-frame search classifies at once.
TEST_F(AdaptiveSession, ClassifyEveryThirdFrameAgesALabelUpToTwoFrames) {
  pipeline->setClassifyEvery(3);  // as at the adaptive ladder's last rung
  int sinceClassified = 0, oldest = 0;
  for (int i = 0; i < 15; ++i) {
    cv::Mat shifted;
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, i % 3, 0, 1, i % 2);
    cv::warpAffine(image, shifted, shift, image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    const long long searches = pipeline->wholeFrameSearches();
    const FrameResult r = pipeline->processStream(shifted, "moving.avi", i);
    const bool wholeFrame = pipeline->wholeFrameSearches() > searches;
    ASSERT_FALSE(r.faces.empty()) << "Haar follows the astronaut, frame " << i;
    EXPECT_EQ(r.quality, "full/5/40/3") << "frame " << i;
    const bool classified = r.classifyMs > 0;
    if (wholeFrame) EXPECT_TRUE(classified) << "a whole-frame search classifies, frame " << i;
    sinceClassified = classified ? 0 : sinceClassified + 1;
    for (const auto& f : r.faces)
      EXPECT_EQ(f.predictionAge, sinceClassified) << "frame " << i;
    oldest = std::max(oldest, sinceClassified);
  }
  EXPECT_EQ(oldest, 2) << "a label is kept for two frames, then the face is classified again";
}

TEST_F(AdaptiveSession, OffKeepsTheUsersSettingsOnEveryFrame) {
  LabelOptions options;                                       // adaptive off: label, batch, eval
  options.frameCost = [](long long, double) { return 1e6; };  // however slow
  LabelSession session(*pipeline, options);
  std::set<std::string> quality;
  session.onFrame([&](const FrameResult& r, const cv::Mat&) { quality.insert(r.quality); });
  session.beginStream("scripted.avi", 25);
  for (int i = 0; i < 20; ++i) {
    Frame frame;
    frame.image = image;
    frame.index = i;
    session.labelFrame(frame);
  }
  EXPECT_EQ(session.quality(), nullptr);
  session.endStream();
  EXPECT_EQ(quality, std::set<std::string>{"full/5/40"});
  EXPECT_EQ(session.inspectImage(image, "still.png").result.quality, "full/1/40")
      << "a still image is searched whole";
}

TEST_F(AdaptiveSession, SettingsChangedMidStreamStartANewLadder) {
  LabelOptions options;
  options.adaptive = true;
  options.writeVideo = false;
  options.qualityPolicy.settleFrames = 2;
  options.frameCost = [](long long, double) { return 1e6; };  // always too slow
  LabelSession session(*pipeline, options);
  std::vector<std::string> quality;
  session.onFrame([&](const FrameResult& r, const cv::Mat&) { quality.push_back(r.quality); });
  session.beginStream("camera:0", 30);
  Frame frame;
  frame.image = image;
  for (; frame.index < 6; ++frame.index) session.labelFrame(frame);
  EXPECT_GT(session.quality()->levelIndex(), 0);
  EXPECT_EQ(pipeline->config().classifier.tta.mode, TtaMode::Full) << "between frames";
  // The user picks other settings between two frames: they are level 0 from now on.
  TtaConfig flip = pipeline->config().classifier.tta;
  flip.mode = TtaMode::Flip;
  pipeline->setTta(flip);
  session.labelFrame(frame);
  EXPECT_EQ(quality.back(), "flip/5/40");
  EXPECT_EQ(session.quality()->ladder().front().tag(), "flip/5/40");
  EXPECT_EQ(session.quality()->describe(), "quality: flip, detect every 5");
  session.endStream();
  EXPECT_EQ(pipeline->config().classifier.tta.mode, TtaMode::Flip);
}

}  // namespace
}  // namespace microfer
