#include <chrono>
#include <cmath>
#include <cstdio>
#include <opencv2/ml.hpp>
#include <random>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/train/baseline.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/train/metrics.hpp"
#include "microfer/types.hpp"

namespace microfer::cli {

namespace {
const char* kBaselineHelp =
    R"(microfer-train baseline — hand-crafted features + SVM (the seed project's baseline)

Usage: microfer-train baseline --features lbp|gabor --train DIR --test DIR [--split private]
       microfer-train baseline --features lbp|gabor --cv DIR [--folds 10]

  --features lbp|gabor  uniform-LBP grid histograms, or a Gabor filter bank (default lbp)
  --train DIR --test DIR  folder per class; --split picks FER2013's PublicTest_/PrivateTest_
                        files of the test folder (public|private|all, default all)
  --max-train N         use at most N training images per class (the RBF SVM is O(n^2))
  --cv DIR              subject-independent k-fold cross-validation (CK+48)
  --c X (10) --gamma X (1/features)  RBF SVM parameters (features are standardised)
  --seed N              fold assignment seed (default 1)
)";

struct Features {
  cv::Mat x;  // N x D, CV_32F
  cv::Mat y;  // N x 1, CV_32S
};

Features extract(const std::vector<Sample>& samples, BaselineFeatures kind) {
  Features f;
  for (const auto& s : samples) {
    f.x.push_back(baselineFeatures(s.image, kind));
    f.y.push_back(s.label);
  }
  return f;
}

ConfusionMatrix fitAndScore(const Features& tr, const Features& te, double c, double gamma) {
  cv::Mat mean, sd;
  cv::reduce(tr.x, mean, 0, cv::REDUCE_AVG);
  cv::Mat centred = tr.x - cv::repeat(mean, tr.x.rows, 1);
  cv::reduce(centred.mul(centred), sd, 0, cv::REDUCE_AVG);
  cv::sqrt(sd, sd);
  sd += 1e-6;
  const auto standardise = [&](const cv::Mat& x) {
    cv::Mat z = (x - cv::repeat(mean, x.rows, 1)) / cv::repeat(sd, x.rows, 1);
    return z;
  };
  auto svm = cv::ml::SVM::create();
  svm->setType(cv::ml::SVM::C_SVC);
  svm->setKernel(cv::ml::SVM::RBF);
  svm->setC(c);
  svm->setGamma(gamma > 0 ? gamma : 1.0 / tr.x.cols);
  svm->setTermCriteria({cv::TermCriteria::MAX_ITER + cv::TermCriteria::EPS, 20000, 1e-3});
  svm->train(standardise(tr.x), cv::ml::ROW_SAMPLE, tr.y);
  cv::Mat pred;
  svm->predict(standardise(te.x), pred);
  ConfusionMatrix cm(kNumEmotions);
  for (int i = 0; i < te.y.rows; ++i) cm.add(te.y.at<int>(i), int(pred.at<float>(i)));
  return cm;
}
}  // namespace

int runBaseline(const std::vector<std::string>& argv) {
  const Args a(
      argv, {"help", "verbose"},
      {"features", "train", "test", "split", "max-train", "cv", "folds", "c", "gamma", "seed"});
  if (a.flag("help")) {
    std::fputs(kBaselineHelp, stdout);
    return 0;
  }
  BaselineFeatures kind;
  try {
    kind = parseBaselineFeatures(a.get("features", "lbp"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const double c = a.getDouble("c", 10), gamma = a.getDouble("gamma", 0);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> names(emotionNames().begin(), emotionNames().end());
  if (a.has("cv")) {
    const Dataset all = loadImageFolder(a.get("cv"));
    const int k = a.getInt("folds", 10);
    const auto fold = subjectFolds(all.samples, k, static_cast<unsigned>(a.getInt("seed", 1)));
    const Features f = extract(all.samples, kind);
    ConfusionMatrix pooled(kNumEmotions);
    std::vector<double> accs;
    for (int i = 0; i < k; ++i) {
      Features tr, te;
      for (int r = 0; r < f.x.rows; ++r) {
        Features& dst = fold[r] == i ? te : tr;
        dst.x.push_back(f.x.row(r));
        dst.y.push_back(f.y.row(r));
      }
      const ConfusionMatrix cm = fitAndScore(tr, te, c, gamma);
      for (int t = 0; t < kNumEmotions; ++t)
        for (int p = 0; p < kNumEmotions; ++p) pooled.counts[t][p] += cm.counts[t][p];
      accs.push_back(cm.accuracy());
      std::printf("fold %d: accuracy %.4f (n=%d)\n", i + 1, cm.accuracy(), cm.total());
    }
    std::fputs(pooled.report(names).c_str(), stdout);
    printCrossValidationSummary(accs, "features=" + a.get("features", "lbp"));
    return 0;
  }
  if (!a.has("train") || !a.has("test")) throw UsageError("give --train and --test, or --cv");
  FolderOptions tro;
  tro.maxPerClass = a.getInt("max-train", 0);
  const Dataset trainSet = loadImageFolder(a.get("train"), tro);
  FolderOptions teo;
  const std::string split = a.get("split", "all");
  teo.filePrefix = split == "public" ? "PublicTest_" : split == "private" ? "PrivateTest_" : "";
  const Dataset testSet = loadImageFolder(a.get("test"), teo);
  const ConfusionMatrix cm =
      fitAndScore(extract(trainSet.samples, kind), extract(testSet.samples, kind), c, gamma);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("features: %s  train: %zu  test: %zu (%s)  time: %.0f s\n",
              a.get("features", "lbp").c_str(), trainSet.samples.size(), testSet.samples.size(),
              split.c_str(), secs);
  std::fputs(cm.report(names).c_str(), stdout);
  return 0;
}

}  // namespace microfer::cli
