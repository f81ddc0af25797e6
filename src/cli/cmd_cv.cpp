#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/metrics.hpp"
#include "microfer/trainer.hpp"

namespace microfer::cli {

namespace {
const char* kCvHelp = R"(microfer-cli cv — subject-independent k-fold cross-validation (CK+)

Usage: microfer-cli cv --data DIR [options]

  --data DIR        folder per class whose file names start with the subject (CK+48:
                    S###_...); contempt is not one of the 7 classes and is skipped
  --folds K         number of folds (default 10); no subject is in two folds
  --init FILE       fine-tune from this model (transfer learning, e.g. the FER2013 model)
  --epochs N (30) --lr X (0.01, or 0.003 with --init) --batch N (32) --width N (32)
  --seed N (1)      fold assignment and training seed
  --out DIR         per-fold training folders (default runs/cv)
  --threads N       LibTorch threads

Each fold trains on the other folds for a fixed number of epochs (no model selection on
the held-out fold) and is scored once. Prints per-fold accuracy, mean ± std, and the
pooled confusion matrix.
)";
}  // namespace

int runCrossValidation(const std::vector<std::string>& argv) {
  const Args a(
      argv, {"help", "verbose"},
      {"data", "folds", "init", "epochs", "lr", "batch", "width", "seed", "out", "threads"});
  if (a.flag("help")) {
    std::fputs(kCvHelp, stdout);
    return 0;
  }
  if (!a.has("data")) throw UsageError("--data is required");
  spdlog::set_level(a.flag("verbose") ? spdlog::level::debug : spdlog::level::info);
  tuneRuntimeForTorch(a.getInt("threads", 0));
  const int k = a.getInt("folds", 10);
  if (k < 2) throw UsageError("--folds must be at least 2");
  const unsigned seed = static_cast<unsigned>(a.getInt("seed", 1));
  const Dataset all = loadImageFolder(a.get("data"));
  const std::vector<int> fold = subjectFolds(all.samples, k, seed);
  const bool transfer = a.has("init");

  ConfusionMatrix pooled(kNumEmotions);
  std::vector<double> accs;
  for (int f = 0; f < k; ++f) {
    Dataset tr, te;
    tr.classNames = te.classNames = all.classNames;
    for (size_t i = 0; i < all.samples.size(); ++i)
      (fold[i] == f ? te : tr).samples.push_back(all.samples[i]);
    TrainConfig cfg;
    cfg.network.width = a.getInt("width", 32);
    cfg.epochs = a.getInt("epochs", 30);
    cfg.batchSize = a.getInt("batch", 32);
    cfg.lr = a.getDouble("lr", transfer ? 0.003 : 0.01);
    cfg.warmupEpochs = transfer ? 0 : 1;
    cfg.seed = seed + f;
    cfg.initModel = a.get("init");
    cfg.outDir =
        (std::filesystem::path(a.get("out", "runs/cv")) / ("fold" + std::to_string(f))).string();
    cfg.quiet = true;
    const TrainResult r = train(tr, nullptr, cfg);
    ModelInfo info;
    MicroAttentionResNet model = loadModel(r.lastModel, info);
    std::vector<cv::Mat> crops;
    for (const auto& s : te.samples) crops.push_back(s.image);
    const auto probs = predictCrops(model, crops, info.mean, info.stdDev);
    ConfusionMatrix cm(kNumEmotions);
    for (size_t i = 0; i < probs.size(); ++i) {
      const int p = int(std::max_element(probs[i].begin(), probs[i].end()) - probs[i].begin());
      cm.add(te.samples[i].label, p);
      pooled.add(te.samples[i].label, p);
    }
    accs.push_back(cm.accuracy());
    std::printf("fold %d: train %zu test %zu accuracy %.4f\n", f + 1, tr.samples.size(),
                te.samples.size(), cm.accuracy());
    std::fflush(stdout);
  }
  std::fputs(pooled.report(all.classNames).c_str(), stdout);
  printCrossValidationSummary(accs, transfer ? "transfer" : "scratch");
  return 0;
}

}  // namespace microfer::cli
