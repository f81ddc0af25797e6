// The tensor trainer (microfer-train-device): crop packs and portable weights round-trip
// and refuse damage, the GPU augmentation makes the same geometry as the OpenCV one, and a
// smoke run on real images learns, repeats for its seed and ends in a model file the app
// loads with the same outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "microfer/train/augment.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/train/device_trainer.hpp"
#include "microfer/classify/model_file.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

CropPack tinyPack(int n, int size) {
  CropPack p;
  p.size = size;
  p.classNames = {"a", "b", "c"};
  for (int i = 0; i < n; ++i) p.labels.push_back(uint8_t(i % 3));
  for (int i = 0; i < n * size * size; ++i) p.pixels.push_back(uint8_t((i * 37) % 251));
  return p;
}

void damageByte(const fs::path& f, size_t offset) {
  std::string bytes = test::slurp(f);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = char(bytes[offset] ^ 0x5a);
  std::ofstream(f, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(CropPack, RoundTripsAndRefusesDamage) {
  const auto dir = test::tempDir("pack");
  const CropPack p = tinyPack(10, 12);
  const auto f = dir / "p.mfc";
  writeCropPack(f.string(), p);
  const CropPack q = readCropPack(f.string());
  EXPECT_EQ(q.size, 12);
  EXPECT_EQ(q.classNames, p.classNames);
  EXPECT_EQ(q.labels, p.labels);
  EXPECT_EQ(q.pixels, p.pixels);
  EXPECT_EQ(q.classCounts(), (std::vector<int>{4, 3, 3}));

  damageByte(f, 40);
  try {
    readCropPack(f.string());
    FAIL() << "damaged pack accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos) << e.what();
  }
  fs::resize_file(f, 30);
  EXPECT_THROW(readCropPack(f.string()), std::runtime_error);
  EXPECT_THROW(readCropPack((dir / "missing.mfc").string()), std::runtime_error);
  CropPack bad = p;
  bad.pixels.pop_back();
  EXPECT_THROW(writeCropPack((dir / "bad.mfc").string(), bad), std::runtime_error);
}

TEST(PortableWeights, RoundTripGivesTheSameOutputs) {
  torch::manual_seed(5);
  NetworkConfig n;
  n.width = 8;
  n.attentionRawFirst = false;  // the prototxt's wiring, so that the header must carry it
  n.attentionBias = false;
  MicroAttentionResNet net(n);
  // Give the batch-norm statistics non-default values so buffers are checked too.
  net->train();
  {
    torch::NoGradGuard g;
    net->forward(torch::randn({8, 1, 48, 48}) * 2 + 1);
  }
  net->eval();
  PortableWeights info;
  info.network = n;
  info.mean = 0.4f;
  info.stdDev = 0.3f;
  info.classNames = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
  info.notes = "line one\nline two";
  const auto dir = test::tempDir("weights");
  const auto f = dir / "w.mfw";
  writeWeights(f.string(), net, info);
  PortableWeights back;
  MicroAttentionResNet copy = readWeights(f.string(), back);
  EXPECT_EQ(back.network.width, 8);
  EXPECT_EQ(back.network.blocksPerStage, n.blocksPerStage);
  EXPECT_TRUE(back.network.attention);
  EXPECT_FALSE(back.network.attentionRawFirst);
  EXPECT_FALSE(back.network.attentionBias);
  EXPECT_FLOAT_EQ(back.mean, 0.4f);
  EXPECT_FLOAT_EQ(back.stdDev, 0.3f);
  EXPECT_EQ(back.classNames, info.classNames);
  EXPECT_EQ(back.notes, "line one line two");
  const auto x = torch::randn({3, 1, 48, 48});
  torch::NoGradGuard g;
  EXPECT_TRUE(torch::equal(net->forward(x), copy->forward(x)));

  damageByte(f, f.string().size() % 50 + 200);
  EXPECT_THROW(readWeights(f.string(), back), std::runtime_error);
}

// A smooth test image, so interpolation differences stay small.
cv::Mat smoothImage(int s) {
  cv::Mat img(s, s, CV_8UC1);
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x)
      img.at<uint8_t>(y, x) =
          cv::saturate_cast<uint8_t>(128 + 70 * std::sin(x / 5.0 + y / 11.0) + 40 * std::cos(y / 6.0));
  return img;
}

TEST(TensorAugment, WarpMatchesTheOpenCvAugmentation) {
  const int s = 48;
  const cv::Mat img = smoothImage(s);
  struct P {
    float angle, scale, dx, dy;
    bool flip;
  };
  for (const P& p : {P{0, 1, 0, 0, false}, P{12, 1.08f, 0.06f, -0.09f, false},
                     P{-9, 0.92f, -0.1f, 0.04f, true}, P{0, 1, 0, 0, true}}) {
    // The transform augmentCrop() builds, applied with OpenCV.
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f((s - 1) * 0.5f, (s - 1) * 0.5f), p.angle, p.scale);
    m.at<double>(0, 2) += p.dx * s;
    m.at<double>(1, 2) += p.dy * s;
    if (p.flip) {
      m.row(0) *= -1;
      m.at<double>(0, 2) += s - 1;
    }
    cv::Mat ref;
    cv::warpAffine(img, ref, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
    ref.convertTo(ref, CV_32F);

    const auto x = torch::from_blob(img.data, {1, 1, s, s}, torch::kUInt8).to(torch::kFloat);
    const auto t = [](float v) { return torch::full({1}, v); };
    const auto out = warpBatch(x, t(p.angle), t(p.scale), t(p.dx), t(p.dy), t(p.flip ? 1 : 0))
                         .contiguous();
    const cv::Mat got(s, s, CV_32F, out.data_ptr<float>());
    cv::Mat diff;
    cv::absdiff(got, ref, diff);
    double maxDiff;
    cv::minMaxLoc(diff, nullptr, &maxDiff);
    EXPECT_LT(cv::mean(diff)[0], 0.8) << "angle " << p.angle << " flip " << p.flip;
    EXPECT_LT(maxDiff, 4.0) << "angle " << p.angle << " flip " << p.flip;
  }
}

TEST(TensorAugment, ParametersDoWhatTheySay) {
  const int s = 48, n = 16;
  const cv::Mat img = smoothImage(s);
  auto px = torch::from_blob(img.data, {1, 1, s, s}, torch::kUInt8).repeat({n, 1, 1, 1});
  const auto norm = (px.to(torch::kFloat) / 255.0 - 0.5) / 0.25;
  const AugmentConfig none = test::noAugmentation();
  torch::manual_seed(1);
  EXPECT_TRUE(torch::allclose(augmentBatch(px, none, 0.5f, 0.25f), norm, 1e-4, 1e-4));

  AugmentConfig flipOnly = none;
  flipOnly.flip = true;
  const auto f = augmentBatch(px, flipOnly, 0.5f, 0.25f);
  int mirrored = 0;
  for (int i = 0; i < n; ++i) {
    const bool same = torch::allclose(f[i], norm[i], 1e-4, 1e-4);
    const bool mirror = torch::allclose(f[i], norm[i].flip({2}), 1e-4, 1e-4);
    EXPECT_TRUE(same || mirror) << i;
    mirrored += mirror;
  }
  EXPECT_GT(mirrored, 0);
  EXPECT_LT(mirrored, n);

  AugmentConfig erase = none;
  erase.eraseProbability = 1;
  const auto e = augmentBatch(px, erase, 0.5f, 0.25f);
  for (int i = 0; i < n; ++i) {
    const double changed = (e[i] - norm[i]).abs().gt(1e-4).to(torch::kFloat).mean().item<double>();
    EXPECT_GT(changed, 0.01) << i;  // at least ~2 % of the area, by the config
    EXPECT_LT(changed, 0.30) << i;  // at most 25 %
  }
}

CropPack realPack(int perClass) {
  FolderOptions fo;
  fo.maxPerClass = perClass;
  const Dataset ds = loadImageFolder(test::sharedDir() + "/data/fer2013/train", fo);
  CropPack p;
  p.size = 48;
  p.classNames = ds.classNames;
  for (const auto& smp : ds.samples) {
    p.labels.push_back(uint8_t(smp.label));
    p.pixels.insert(p.pixels.end(), smp.image.data, smp.image.data + 48 * 48);
  }
  return p;
}

DeviceTrainConfig smokeConfig(const fs::path& out) {
  DeviceTrainConfig c;
  c.network.width = 8;
  c.epochs = 4;
  c.batchSize = 32;
  c.lr = 0.05;
  c.warmupEpochs = 1;
  c.labelSmoothing = 0;
  c.augment.eraseProbability = 0;
  c.outDir = out.string();
  c.cpu = true;
  c.quiet = true;
  c.seed = 3;
  return c;
}

TEST(DeviceTrainer, LearnsRepeatsAndExportsAModelFile) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  torch::set_num_threads(1);  // bit-for-bit repeat needs a fixed reduction order
  const CropPack data = realPack(40);  // 280 real images
  const auto a = test::tempDir("devA"), b = test::tempDir("devB");
  const DeviceTrainResult r = trainOnDevice(data, &data, smokeConfig(a));
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_EQ(r.device, "cpu");
  EXPECT_LT(r.history.back().trainLoss, r.history.front().trainLoss);
  EXPECT_GT(r.history.back().valAccuracy, 1.0 / 7);
  for (const char* f : {"best.mfw", "last.mfw", "metrics.csv"})
    EXPECT_TRUE(fs::exists(a / f)) << f;
  EXPECT_EQ(test::lines(a / "metrics.csv").size(), 5u);

  trainOnDevice(data, &data, smokeConfig(b));
  EXPECT_EQ(test::slurp(a / "last.mfw"), test::slurp(b / "last.mfw"))
      << "the same seed must give the same weights";

  // The shipping step: portable weights -> model file, outputs unchanged.
  const auto model = a / "model.mfm";
  const std::string cmd = std::string(MICROFER_TRAIN) + " export --weights " +
                          (a / "best.mfw").string() + " --out " + model.string() +
                          " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  PortableWeights w;
  MicroAttentionResNet fromWeights = readWeights((a / "best.mfw").string(), w);
  ModelInfo info;
  MicroAttentionResNet fromModel = loadModel(model.string(), info);
  EXPECT_EQ(info.classNames, data.classNames);
  EXPECT_EQ(info.network.width, 8);
  EXPECT_FLOAT_EQ(info.mean, 0.5f);
  const auto x = torch::randn({4, 1, 48, 48});
  torch::NoGradGuard g;
  EXPECT_TRUE(torch::equal(fromWeights->forward(x), fromModel->forward(x)));
}

// The program's options: a misspelt or retired one is refused (it was ignored silently), and
// so are a wiring that does not exist and a wiring without attention units; all before any
// data is read (exit 2), where a good command line goes on to the missing pack (exit 1).
TEST(DeviceTrainer, CommandLineRefusesUnknownOptionsAndBadWirings) {
  const auto exitCode = [](const std::string& args) {
    const int status = std::system(
        (std::string("\"") + MICROFER_TRAIN_DEVICE + "\" " + args + " >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const std::string base = "--train /nonexistent/train.mfc --out /nonexistent/run ";
  EXPECT_EQ(exitCode(base + "--attention-input raw"), 2) << "retired option";
  EXPECT_EQ(exitCode(base + "--epoch 3"), 2) << "misspelt option";
  EXPECT_EQ(exitCode(base + "--attention-wiring caffe"), 2);
  EXPECT_EQ(exitCode(base + "--no-attention --attention-wiring microfer"), 2);
  EXPECT_EQ(exitCode(base + "--attention-wiring microfer --epochs 3"), 1) << "no such pack";
  EXPECT_EQ(exitCode(base + "stray"), 2) << "a positional argument";
  EXPECT_EQ(exitCode(base + "--cpu=1"), 2) << "a flag takes no value";
  EXPECT_EQ(exitCode(base + "--epochs 3x"), 2) << "not a number";
  EXPECT_EQ(exitCode(base + "--epochs=3"), 1) << "--name=value: reaches the missing pack";
  EXPECT_EQ(exitCode(base + "--epochs"), 2) << "an option without its value";
  EXPECT_EQ(exitCode("--help"), 0);
  EXPECT_EQ(exitCode("-h"), 0);
  // An option given twice: the last value is used, and a warning names both.
  const fs::path err = test::tempDir("device-args") / "stderr.txt";
  const std::string cmd = std::string("\"") + MICROFER_TRAIN_DEVICE + "\" " + base +
                          "--epochs 3 --epochs 5 >/dev/null 2>\"" + err.string() + "\"";
  ASSERT_NE(std::system(cmd.c_str()), -1);
  const std::string text = test::slurp(err);
  const std::string warning = "option --epochs given twice ('3', then '5'): '5' is used";
  const size_t at = text.find(warning);
  EXPECT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find(warning, at + 1), std::string::npos) << "written once\n" << text;
}

TEST(DeviceTrainer, BudgetShortensTheWholeSchedule) {
  const CropPack data = tinyPack(64, 48);
  DeviceTrainConfig c = smokeConfig(test::tempDir("budget"));
  c.network.numClasses = 3;
  c.epochs = 50;
  c.budgetSeconds = 1e-3;  // far less than one epoch: the schedule ends after the 3rd epoch
  const DeviceTrainResult r = trainOnDevice(data, nullptr, c);
  EXPECT_EQ(r.epochs, 3);
  ASSERT_EQ(r.history.size(), 3u);
}

TEST(DeviceTrainer, BudgetArithmetic) {
  // 3 epochs done in 30 s, 10 s each, 100 s budget: 0.9 * 70 / 10 = 6.3 more -> 9.
  EXPECT_EQ(epochsWithinBudget(120, 3, 10, 30, 100), 9);
  EXPECT_EQ(epochsWithinBudget(5, 3, 10, 30, 100), 5) << "never longer than planned";
  EXPECT_EQ(epochsWithinBudget(120, 3, 10, 130, 100), 3) << "over budget: stop now";
  EXPECT_EQ(epochsWithinBudget(120, 3, 0, 30, 100), 3) << "no timing: no extra epochs";
  EXPECT_EQ(epochsWithinBudget(120, 3, 4, 20, 500), 3 + 108);  // 0.9 * 480 / 4 = 108
}

}  // namespace
}  // namespace microfer
