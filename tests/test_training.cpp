// Smoke training on real FER2013 images: the loss falls, and a resumed run ends in exactly
// the state of an uninterrupted one.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <numeric>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "microfer/train/augment.hpp"
#include "microfer/train/trainer.hpp"
#include "microfer/types.hpp"
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

TEST(Training, BestModelIsTheBestValidationEpoch) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(1);
  const Dataset data = smokeData();
  const auto dir = test::tempDir("best");
  constexpr int kEpochs = 4;
  // One epoch per call (resumed), keeping the network after each epoch.
  TrainResult r;
  std::vector<MicroAttentionResNet> afterEpoch;
  for (int e = 1; e <= kEpochs; ++e) {
    TrainConfig c = smokeConfig(dir.string(), kEpochs);
    c.stopAfterEpochs = e;
    c.resume = e > 1;
    r = train(data, &data, c);
    ModelInfo info;
    afterEpoch.push_back(loadModel((dir / "last.mfm").string(), info));
  }
  ASSERT_EQ(r.history.size(), size_t(kEpochs));
  int best = 0;  // the first epoch with the highest validation accuracy
  for (int i = 1; i < kEpochs; ++i)
    if (r.history[i].valAccuracy > r.history[best].valAccuracy) best = i;
  EXPECT_EQ(r.bestEpoch, best + 1);
  ModelInfo info;
  auto chosen = loadModel(r.bestModel, info);
  const auto same = [](MicroAttentionResNet& a, MicroAttentionResNet& b) {
    auto want = a->named_parameters(), wantBuffers = a->named_buffers();
    for (const auto& p : b->named_parameters())
      if (!torch::equal(want[p.key()], p.value())) return false;
    for (const auto& p : b->named_buffers())
      if (!torch::equal(wantBuffers[p.key()], p.value())) return false;
    return true;
  };
  EXPECT_TRUE(same(afterEpoch[best], chosen)) << "best.mfm is not epoch " << best + 1;
  for (int i = 0; i < kEpochs; ++i)  // the check can fail: every epoch changed the network
    if (i != best) EXPECT_FALSE(same(afterEpoch[i], chosen)) << "epoch " << i + 1;
}

TEST(Training, ResumeReachesTheSameState) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(1);  // bit-for-bit comparisons need a fixed reduction order
  const Dataset data = smokeData();
  const auto a = test::tempDir("resumeA"), b = test::tempDir("resumeB");
  // Three batches an epoch: the state resumed (weights, optimiser, schedule, the random
  // order of the next epoch) is all there after one batch as after nine.
  const auto shortRun = [](const std::filesystem::path& out) {
    TrainConfig c = smokeConfig(out.string(), 2);
    c.maxBatchesPerEpoch = 3;
    return c;
  };
  train(data, nullptr, shortRun(a));
  // B: the same 2-epoch run interrupted after epoch 1, then resumed.
  TrainConfig interrupted = shortRun(b);
  interrupted.stopAfterEpochs = 1;
  train(data, nullptr, interrupted);
  TrainConfig resumed = shortRun(b);
  resumed.resume = true;
  const TrainResult rb = train(data, nullptr, resumed);
  ASSERT_EQ(rb.history.size(), 2u);
  ModelInfo ia, ib;
  auto ma = loadModel((a / "last.mfm").string(), ia);
  auto mb = loadModel((b / "last.mfm").string(), ib);
  auto pa = ma->named_parameters();
  for (const auto& p : mb->named_parameters())
    EXPECT_TRUE(torch::allclose(pa[p.key()], p.value(), 1e-5, 1e-6)) << p.key();

  // Both wirings of the attention unit have the same tensors: resuming a run, or starting
  // from a model, of the other wiring is refused instead of loading silently.
  TrainConfig otherWiring = smokeConfig(b.string(), 3);
  otherWiring.resume = true;
  otherWiring.network.attentionRawFirst = false;
  EXPECT_THROW(train(data, nullptr, otherWiring), std::invalid_argument);
  TrainConfig fromOther = smokeConfig(test::tempDir("resumeC").string(), 1);
  fromOther.initModel = (b / "last.mfm").string();
  fromOther.network.attentionBias = false;
  EXPECT_THROW(train(data, nullptr, fromOther), std::invalid_argument);
  // A model may start a wider run (it is widened, Network.Widening...), not a narrower one.
  TrainConfig wider = smokeConfig(test::tempDir("resumeW").string(), 1);
  wider.initModel = (b / "last.mfm").string();
  wider.network.width = 16;
  wider.maxBatchesPerEpoch = 1;
  wider.lr = 0;  // the parameters stay where the widening put them
  const TrainResult rw = train(data, nullptr, wider);
  EXPECT_EQ(rw.history.size(), 1u);
  ModelInfo iw;
  auto mw = loadModel(rw.lastModel, iw);
  EXPECT_EQ(iw.network.width, 16);
  auto pw = mw->named_parameters();
  for (const auto& p : mb->named_parameters()) {
    torch::Tensor lead = pw[p.key()];
    for (int64_t d = 0; d < std::min<int64_t>(p.value().dim(), 2); ++d)
      lead = lead.narrow(d, 0, p.value().size(d));
    if (p.key().find("attention.embed.weight") == std::string::npos)  // grouped inputs
      EXPECT_TRUE(torch::equal(lead, p.value())) << p.key();
  }
  EXPECT_EQ(pw["fc.weight"].narrow(1, 64, 128 - 64).abs().sum().item<float>(), 0.0f);
  TrainConfig narrower = wider;
  narrower.network.width = 4;
  EXPECT_THROW(train(data, nullptr, narrower), std::invalid_argument);

  // The balance is part of the loss: a pooled run is not resumed balanced within each source,
  // nor the reverse (the checkpoint names it).
  TrainConfig otherBalance = smokeConfig(b.string(), 3);
  otherBalance.resume = true;
  otherBalance.balancePerSource = true;
  EXPECT_THROW(train(data, nullptr, otherBalance), std::invalid_argument);
  const auto c = test::tempDir("resumeD");
  TrainConfig within = smokeConfig(c.string(), 2);
  within.balancePerSource = true;
  within.stopAfterEpochs = 1;
  train(data, nullptr, within);
  TrainConfig pooledAgain = smokeConfig(c.string(), 2);
  pooledAgain.resume = true;
  EXPECT_THROW(train(data, nullptr, pooledAgain), std::invalid_argument);
  within.stopAfterEpochs = 0;
  within.resume = true;
  EXPECT_EQ(train(data, nullptr, within).history.size(), 2u);
  // So are the soft targets: a run without a teacher is not resumed with one (the checkpoint
  // names its teachers and the distillation's weight and temperature).
  TrainConfig withTeacher = smokeConfig(b.string(), 3);
  withTeacher.resume = true;
  withTeacher.teacherModels = {(b / "last.mfm").string()};
  EXPECT_THROW(train(data, nullptr, withTeacher), std::invalid_argument);
}

// With one source, balancing within each source is the pooled balance: the weight-per-image
// loss is the class-weighted cross-entropy (no label smoothing), so one epoch ends in the same
// network either way.
TEST(Training, PerSourceBalanceOfOneSourceIsThePooledLoss) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(1);
  Dataset data = smokeData();
  int kept = 0;  // unbalance it: 10 disgust images of 40, so the class weights are not all 1
  data.samples.erase(std::remove_if(data.samples.begin(), data.samples.end(),
                                    [&](const Sample& s) { return s.label == 1 && ++kept > 10; }),
                     data.samples.end());
  const auto pooledDir = test::tempDir("pooled"), withinDir = test::tempDir("within");
  train(data, nullptr, smokeConfig(pooledDir.string(), 1));
  TrainConfig within = smokeConfig(withinDir.string(), 1);
  within.balancePerSource = true;
  train(data, nullptr, within);
  ModelInfo ia, ib;
  auto a = loadModel((pooledDir / "last.mfm").string(), ia);
  auto b = loadModel((withinDir / "last.mfm").string(), ib);
  auto pa = a->named_parameters();
  for (const auto& p : b->named_parameters())
    EXPECT_TRUE(torch::allclose(pa[p.key()], p.value(), 1e-4, 1e-5)) << p.key();
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


TEST(Training, SourceWeightsSetHowOftenEachSourceIsDrawn) {
  std::vector<Sample> samples(300);
  for (int i = 0; i < 300; ++i) {
    samples[i].source = i < 200 ? 0 : 1;  // 200 of source 0, 100 of source 1
    samples[i].label = i % 7;
  }
  const std::vector<double> w = {0.5, 2.0};
  EXPECT_EQ(epochDraws(samples, w), 100u + 200u);
  EXPECT_EQ(epochDraws(samples, {}), 300u);
  std::mt19937 rng(4);
  std::vector<int> seen(300, 0);
  const std::vector<int> order = epochOrder(samples, w, rng);
  ASSERT_EQ(order.size(), 300u);
  for (int i : order) ++seen[i];
  int src0 = 0;
  for (int i = 0; i < 200; ++i) {
    EXPECT_LE(seen[i], 1) << "a fraction is a subset without repeats";
    src0 += seen[i];
  }
  EXPECT_EQ(src0, 100);
  for (int i = 200; i < 300; ++i) EXPECT_EQ(seen[i], 2) << "weight 2: every image twice";
  // Deterministic for a generator state; the order is shuffled, not grouped by source.
  std::mt19937 again(4);
  EXPECT_EQ(epochOrder(samples, w, again), order);
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
  // One source and no weights: exactly the order before source weights existed (iota, then
  // one shuffle), so runs resumed across versions repeat the same batches.
  std::vector<Sample> one(50);
  std::vector<int> old(50);
  std::iota(old.begin(), old.end(), 0);
  std::mt19937 a(7), b(7);
  std::shuffle(old.begin(), old.end(), a);
  EXPECT_EQ(epochOrder(one, {}, b), old);
  EXPECT_THROW(epochDraws(samples, {-1.0, 1.0}), std::invalid_argument);
}

// Pooled balance weighs a class by its count over all sources; per source, each source's
// classes are balanced within it and each source's weights still average 1 over its images.
TEST(Training, ClassWeightsPooledOrWithinEachSource) {
  std::vector<Sample> samples;
  const auto add = [&](int source, int label, int n) {
    for (int i = 0; i < n; ++i) samples.push_back({cv::Mat(), label, "", "", source});
  };
  add(0, 3, 100);  // source 0: 100 happy, 100 sad
  add(0, 4, 100);
  add(1, 3, 90);  // source 1: 90 happy, 10 sad
  add(1, 4, 10);
  const int classes = 7;
  const auto pooled = classWeightTable(samples, {}, ClassBalance::Sqrt, false, classes);
  ASSERT_EQ(pooled.size(), 2u);
  EXPECT_EQ(pooled[0], pooled[1]) << "pooled: one weight per class";
  EXPECT_EQ(pooled[0], balanceWeights({0, 0, 0, 190, 110, 0, 0}, ClassBalance::Sqrt));
  const auto within = classWeightTable(samples, {}, ClassBalance::Sqrt, true, classes);
  ASSERT_EQ(within.size(), 2u);
  EXPECT_FLOAT_EQ(within[0][3], within[0][4]) << "source 0 is balanced already";
  EXPECT_FLOAT_EQ(within[0][3], 1.f);
  EXPECT_NEAR(within[1][4] / within[1][3], 3.0, 1e-5) << "sqrt(90 / 10)";
  EXPECT_NEAR((90 * within[1][3] + 10 * within[1][4]) / 100, 1.0, 1e-5)
      << "a source's weights average 1 over its images";
  // Source weights scale a source's counts as drawn: pooled weights change, per source not.
  const auto drawn = classWeightTable(samples, {1.0, 3.0}, ClassBalance::Sqrt, false, classes);
  EXPECT_EQ(drawn[0], balanceWeights({0, 0, 0, 370, 130, 0, 0}, ClassBalance::Sqrt));
  const auto scaled = classWeightTable(samples, {1.0, 3.0}, ClassBalance::Sqrt, true, classes);
  for (int s = 0; s < 2; ++s)
    for (int c = 0; c < classes; ++c) EXPECT_FLOAT_EQ(scaled[s][c], within[s][c]) << s << c;
}

TEST(Training, ValidationScoreIsTheMeanOfEachSourcesAccuracy) {
  std::vector<Sample> samples(5);
  std::vector<std::vector<float>> probs(5, std::vector<float>(7, 0.f));
  for (int i = 0; i < 5; ++i) {
    samples[i].label = 3;
    samples[i].source = i < 4 ? 0 : 1;
    probs[i][i == 0 ? 4 : 3] = 1.f;  // source 0: 3 of 4 right; source 1: 1 of 1
  }
  std::vector<double> per;
  EXPECT_DOUBLE_EQ(validationScore(samples, probs, &per), (0.75 + 1.0) / 2);
  ASSERT_EQ(per.size(), 2u);
  EXPECT_DOUBLE_EQ(per[0], 0.75);
  samples.resize(4);
  probs.resize(4);
  EXPECT_DOUBLE_EQ(validationScore(samples, probs), 0.75) << "one source: plain accuracy";
}

TEST(Training, DomainGapAugmentationsEachChangeTheCrop) {
  cv::Mat in(48, 48, CV_8U);
  cv::randu(in, 40, 220);
  cv::GaussianBlur(in, in, cv::Size(), 1.5);
  const AugmentConfig none = test::noAugmentation();
  std::mt19937 rng0(9);
  cv::Mat plain;
  augmentCrop(in, plain, rng0, none, 0.5f, 0.25f);
  const auto only = [&](auto set) {
    AugmentConfig c = none;
    set(c);
    return c;
  };
  const std::vector<std::pair<std::string, AugmentConfig>> cases = {
      {"blur", only([](AugmentConfig& c) { c.blurProbability = 1; c.maxBlurSigma = 1.5f; })},
      {"jpeg", only([](AugmentConfig& c) { c.jpegProbability = 1; c.minJpegQuality = 10; })},
      {"gamma", only([](AugmentConfig& c) { c.gammaProbability = 1; c.maxGamma = 2; })},
      {"shade", only([](AugmentConfig& c) { c.shadeProbability = 1; c.maxShade = 0.4f; })},
      {"occlusion", only([](AugmentConfig& c) { c.occlusionProbability = 1; })},
      {"aspect", only([](AugmentConfig& c) { c.maxAspect = 0.1f; })}};
  for (const auto& [name, cfg] : cases) {
    double change = 0;
    for (unsigned seed = 1; seed <= 5; ++seed) {  // a draw may be mild: take the largest
      std::mt19937 rng(seed);
      cv::Mat out;
      augmentCrop(in, out, rng, cfg, 0.5f, 0.25f);
      ASSERT_EQ(out.size(), in.size()) << name;
      ASSERT_EQ(out.type(), CV_32F) << name;
      EXPECT_TRUE(cv::checkRange(out)) << name;
      change = std::max(change, cv::norm(out, plain, cv::NORM_L1) / out.total());
    }
    EXPECT_GT(change, 0.05) << name << " changed nothing";
  }
  // The preset turns every one of them on, and a smaller output still works.
  const AugmentConfig robust = domainGapAugment();
  EXPECT_GT(robust.blurProbability * robust.jpegProbability * robust.gammaProbability *
                robust.shadeProbability * robust.occlusionProbability * robust.maxAspect,
            0.f);
  std::mt19937 rng(2);
  cv::Mat small(36, 36, CV_32F);
  for (int i = 0; i < 20; ++i) augmentCrop(in, small, rng, robust, 0.5f, 0.25f);
  EXPECT_EQ(small.size(), cv::Size(36, 36));
}


// Distillation with soft targets only: the student learns to agree with its teacher (here a
// wider network with random weights, whose answers no label supports).
TEST(Training, DistillationPullsTheStudentTowardsItsTeacher) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(2);
  const Dataset data = smokeData();
  const auto dir = test::tempDir("distil");
  const std::string teacher = test::writeRandomModel(dir, 12);
  std::vector<cv::Mat> crops;
  for (const auto& s : data.samples) crops.push_back(s.image);
  ModelInfo ti;
  auto tm = loadModel(teacher, ti);
  const auto teacherProbs = predictCrops(tm, crops, ti.mean, ti.stdDev);
  const auto agreement = [&](const std::string& student) {
    ModelInfo si;
    auto sm = loadModel(student, si);
    const auto p = predictCrops(sm, crops, si.mean, si.stdDev);
    int same = 0;
    for (size_t i = 0; i < p.size(); ++i)
      same += std::max_element(p[i].begin(), p[i].end()) - p[i].begin() ==
              std::max_element(teacherProbs[i].begin(), teacherProbs[i].end()) -
                  teacherProbs[i].begin();
    return double(same) / p.size();
  };
  TrainConfig c = smokeConfig((dir / "hard").string(), 3);
  c.augment = test::noAugmentation();
  const double hardAgreement = agreement(train(data, nullptr, c).lastModel);
  c.outDir = (dir / "soft").string();
  c.teacherModels = {teacher};
  c.distillWeight = 1.0;
  const double softAgreement = agreement(train(data, nullptr, c).lastModel);
  EXPECT_GT(softAgreement, hardAgreement + 0.1)
      << "with the teacher " << softAgreement << ", with labels only " << hardAgreement;
  c.teacherModels = {(dir / "missing.mfm").string()};
  EXPECT_THROW(train(data, nullptr, c), ModelFileError);
}

// Soft targets (FER+ votes): images whose target names another class than their label learn
// the target, not the label.
TEST(Training, SoftTargetsAreLearntInsteadOfTheLabel) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(2);
  Dataset data = smokeData();
  const auto shifted = [](int label) { return (label + 3) % kNumEmotions; };
  for (auto& s : data.samples) {
    s.target.assign(kNumEmotions, 0.05f / (kNumEmotions - 1));
    s.target[shifted(s.label)] = 0.95f;
  }
  const auto dir = test::tempDir("soft-targets");
  TrainConfig c = smokeConfig((dir / "votes").string(), 8);
  c.augment = test::noAugmentation();
  const TrainResult r = train(data, nullptr, c);
  std::vector<cv::Mat> crops;
  for (const auto& s : data.samples) crops.push_back(s.image);
  ModelInfo info;
  auto model = loadModel(r.lastModel, info);
  const auto p = predictCrops(model, crops, info.mean, info.stdDev);
  int onTarget = 0, onLabel = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const int top = int(std::max_element(p[i].begin(), p[i].end()) - p[i].begin());
    onTarget += top == shifted(data.samples[i].label);
    onLabel += top == data.samples[i].label;
  }
  EXPECT_GT(onTarget, 2 * onLabel + 20) << "argmax on the target " << onTarget << ", on the label "
                                        << onLabel << " of " << p.size();
  // A target over another number of classes is refused.
  data.samples[0].target.resize(3);
  c.outDir = (dir / "bad").string();
  EXPECT_THROW(train(data, nullptr, c), std::invalid_argument);
}

// A teacher per source: each image learns its own source's teachers' soft targets. With soft
// targets only, a run's training loss is fixed by which teacher answers which image, so runs
// that route the same answers to the same images agree and runs that route others differ.
TEST(Training, EachSourceLearnsItsOwnTeachers) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(2);
  const Dataset data = smokeData();
  const auto dir = test::tempDir("source-teachers");
  // A: a trained model (its answers differ from image to image, so targets put back in the
  // wrong rows would change the loss); B: an untrained one.
  const std::string a = test::sourceDir() + "/models/microfer-resnet10-fer2013.mfm";
  const std::string b = test::writeRandomModel(dir, 10);
  {
    ModelInfo ai;
    auto am = loadModel(a, ai);
    std::vector<cv::Mat> crops;
    for (size_t i = 0; i < data.samples.size(); i += 40) crops.push_back(data.samples[i].image);
    const auto p = predictCrops(am, crops, ai.mean, ai.stdDev);
    std::set<size_t> answers;
    for (const auto& pi : p) answers.insert(std::max_element(pi.begin(), pi.end()) - pi.begin());
    ASSERT_GE(answers.size(), 4u) << "A should tell the classes apart";
  }
  const auto loss = [&](const Dataset& d, const std::vector<std::string>& all,
                        const std::vector<std::vector<std::string>>& perSource) {
    TrainConfig c = smokeConfig((dir / "run").string(), 1);
    c.augment = test::noAugmentation();
    c.distillWeight = 1.0;
    c.teacherModels = all;
    c.sourceTeacherModels = perSource;
    return train(d, nullptr, c).history.back().trainLoss;
  };
  Dataset mixed = data;
  for (size_t i = 0; i < mixed.samples.size(); ++i) mixed.samples[i].source = int(i % 2);
  Dataset second = data;
  for (auto& smp : second.samples) smp.source = 1;
  const double withA = loss(data, {a}, {}), withB = loss(data, {b}, {});
  ASSERT_GT(std::abs(withA - withB), 1e-3 * withA) << "the two teachers answer alike";
  // All images in source 0, then all in source 1: each gets that source's teacher.
  EXPECT_NEAR(loss(data, {}, {{a}, {b}}), withA, 1e-4 * withA);
  EXPECT_NEAR(loss(second, {}, {{a}, {b}}), withB, 1e-4 * withB);
  // Mixed sources (other batches than one source's), both answering as A ({a, a} averages A
  // with itself): every image gets A's targets, gathered per source and put back in place.
  const double mixedA = loss(mixed, {a}, {}), mixedB = loss(mixed, {b}, {});
  EXPECT_NEAR(loss(mixed, {}, {{a}, {a, a}}), mixedA, 1e-4 * mixedA);
  // Mixed sources with A and B: neither teacher's run, and swapping the sources changes it.
  const double ab = loss(mixed, {}, {{a}, {b}}), ba = loss(mixed, {}, {{b}, {a}});
  EXPECT_GT(std::abs(ab - mixedA), 1e-3 * mixedA);
  EXPECT_GT(std::abs(ab - mixedB), 1e-3 * mixedB);
  EXPECT_GT(std::abs(ab - ba), 1e-3 * ab);
  // A list for every source the data has, none empty, not both kinds.
  EXPECT_THROW(loss(second, {}, {{a}}), std::invalid_argument);
  EXPECT_THROW(loss(data, {}, {{a}, {}}), std::invalid_argument);
  EXPECT_THROW(loss(data, {a}, {{a}}), std::invalid_argument);
}

}  // namespace
}  // namespace microfer
