// The live view's adaptive quality: the ladder and the controller on injected frame costs.
#include <gtest/gtest.h>


#include "microfer/quality_controller.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {

std::string tags(const std::vector<QualityLevel>& ladder) {
  std::string s;
  for (const auto& q : ladder) s += (s.empty() ? "" : " ") + q.tag();
  return s;
}

TEST(QualityLadder, StepsFromTheUsersSettingsDownOneAtATime) {
  EXPECT_EQ(tags(qualityLadder({TtaMode::Full, 5, 40})),
            "full/5/40 flip/5/40 off/5/40 off/10/40 off/20/40 off/20/60 off/20/80");
  // Never above the user's own: detect every 1 goes through 5; flip starts below full.
  EXPECT_EQ(tags(qualityLadder({TtaMode::Flip, 1, 12})),
            "flip/1/12 off/1/12 off/5/12 off/10/12 off/20/12 off/20/18 off/20/24");
  EXPECT_EQ(tags(qualityLadder({TtaMode::Off, 30, 9000})), "off/30/9000 off/30/10000")
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
  EXPECT_EQ(c.describe(), "quality: off, detect every 20, min face 80");

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

}  // namespace
}  // namespace microfer
