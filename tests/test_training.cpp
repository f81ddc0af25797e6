// Smoke training on real FER2013 images: the loss falls, and a resumed run ends in exactly
// the state of an uninterrupted one.
#include <gtest/gtest.h>

#include <filesystem>

#include "microfer/augment.hpp"
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

TEST(Training, SmallerAugmentedCropIsTheSameViewResampled) {
  // With no random change, a 24x24 output of a 48x48 crop samples between each 2x2 block of
  // pixels: exactly the block means (INTER_AREA at factor 2), normalised.
  cv::Mat in(48, 48, CV_8U);
  cv::randu(in, 0, 256);
  const AugmentConfig none = test::noAugmentation();
  std::mt19937 rng(1);
  cv::Mat out(24, 24, CV_32F), same;
  const float* buffer = out.ptr<float>();
  augmentCrop(in, out, rng, none, 0.5f, 0.25f);
  EXPECT_EQ(out.ptr<float>(), buffer) << "must write into the caller's buffer";
  ASSERT_EQ(out.size(), cv::Size(24, 24));
  cv::Mat expected;
  cv::Mat meanOf4(24, 24, CV_32F);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 24; ++x)
      meanOf4.at<float>(y, x) = (in.at<uchar>(2 * y, 2 * x) + in.at<uchar>(2 * y, 2 * x + 1) +
                                 in.at<uchar>(2 * y + 1, 2 * x) +
                                 in.at<uchar>(2 * y + 1, 2 * x + 1)) / 4.f;
  meanOf4.convertTo(expected, CV_32F, 1 / (255.0 * 0.25), -0.5 / 0.25);
  // warpAffine's fixed-point bilinear weights and 8-bit output round to within one grey level.
  EXPECT_LE(cv::norm(out, expected, cv::NORM_INF), 1.01 / (255 * 0.25));
  augmentCrop(in, same, rng, none, 0.5f, 0.25f);  // empty output: the input's size, unchanged
  ASSERT_EQ(same.size(), in.size());
  cv::Mat inNorm;
  in.convertTo(inNorm, CV_32F, 1 / (255.0 * 0.25), -0.5 / 0.25);
  EXPECT_LE(cv::norm(same, inNorm, cv::NORM_INF), 1e-5);
}

TEST(Training, LowResolutionEpochsThenFullSize) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(2);
  const Dataset data = smokeData();
  const auto dir = test::tempDir("lowres");
  TrainConfig c = smokeConfig(dir.string(), 3);
  c.lowResSize = 32;
  c.lowResEpochs = 2;
  const TrainResult r = train(data, &data, c);
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_LT(r.history.back().trainLoss, r.history.front().trainLoss);
  ModelInfo info;
  auto model = loadModel((dir / "last.mfm").string(), info);
  EXPECT_EQ(info.crop.size, 48) << "the model keeps its input size";
  c.lowResSize = 64;  // larger than the input: refused
  EXPECT_THROW(train(data, nullptr, c), std::invalid_argument);
}

}  // namespace
}  // namespace microfer
