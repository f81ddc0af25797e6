// Smoke training on real FER2013 images: the loss falls, and a resumed run ends in exactly
// the state of an uninterrupted one.
#include <gtest/gtest.h>

#include <filesystem>

#include "microfer/trainer.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {

TrainConfig smokeConfig(const std::string& out, int epochs) {
  TrainConfig c;
  c.network.width = 8;
  c.epochs = epochs;
  c.batchSize = 32;
  c.lr = 0.05;
  c.warmupEpochs = 0.2;
  c.labelSmoothing = 0;
  c.augment.eraseProbability = 0;
  c.augment.maxRotationDeg = 5;
  c.outDir = out;
  c.quiet = true;
  c.seed = 3;
  return c;
}

Dataset smokeData() {
  FolderOptions fo;
  fo.maxPerClass = 40;  // 280 real images
  return loadImageFolder(test::sharedDir() + "/data/fer2013/train", fo);
}

TEST(Training, LossFallsOnRealImages) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(2);
  const Dataset data = smokeData();
  const auto dir = test::tempDir("train");
  const TrainResult r = train(data, &data, smokeConfig(dir.string(), 4));
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_LT(r.history.back().trainLoss, r.history.front().trainLoss)
      << "first " << r.history.front().trainLoss << " last " << r.history.back().trainLoss;
  for (const char* f : {"best.mfm", "last.mfm", "metrics.csv", "curves.png", "checkpoint.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  ModelInfo info;
  EXPECT_NO_THROW(loadModel((dir / "best.mfm").string(), info));
  EXPECT_EQ(info.classNames.size(), 7u);
}

TEST(Training, ResumeReachesTheSameState) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(1);  // bit-for-bit comparisons need a fixed reduction order
  const Dataset data = smokeData();
  const auto a = test::tempDir("resumeA"), b = test::tempDir("resumeB");
  train(data, nullptr, smokeConfig(a.string(), 2));
  // B: the same 2-epoch run interrupted after epoch 1, then resumed.
  TrainConfig interrupted = smokeConfig(b.string(), 2);
  interrupted.stopAfterEpochs = 1;
  train(data, nullptr, interrupted);
  TrainConfig resumed = smokeConfig(b.string(), 2);
  resumed.resume = true;
  const TrainResult rb = train(data, nullptr, resumed);
  ASSERT_EQ(rb.history.size(), 2u);
  ModelInfo ia, ib;
  auto ma = loadModel((a / "last.mfm").string(), ia);
  auto mb = loadModel((b / "last.mfm").string(), ib);
  auto pa = ma->named_parameters();
  for (const auto& p : mb->named_parameters())
    EXPECT_TRUE(torch::allclose(pa[p.key()], p.value(), 1e-5, 1e-6)) << p.key();
}

}  // namespace
}  // namespace microfer
