#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/train/cross_validation.hpp"
#include "microfer/train/ferplus.hpp"
#include "microfer/classify/model_info.hpp"

namespace microfer::cli {

namespace {
const char* kCvHelp = R"(microfer-train cv — subject-independent k-fold cross-validation (CK+)

Usage: microfer-train cv --data DIR [options]

  --data DIR        folder per class whose file names start with the subject (CK+48:
                    S###_...); contempt is not one of the 7 classes and is skipped
  --folds K         number of folds (default 10); no subject is in two folds
  --init FILE       fine-tune from this model (transfer learning, e.g. the FER2013 model)
  --epochs N (30) --lr X (0.01, or 0.003 with --init) --batch N (32)
  --width N         (32, or the --init model's)
  --attention-wiring prototxt|microfer  the micro-attention unit's wiring (see `train
                    --help`; default: the --init model's, else prototxt)
  --ferplus FILE    crowd votes in FER+'s form (../shared/data/ferplus/ferplus.csv keyed by
                    the last three parts of each file's path, or fer2013new.csv): each image
                    learns its raters' distribution over the 7 classes and is scored against
                    its top class (images without a usable vote are left out; see train --help)
  --seed N (1)      fold assignment and training seed
  --out DIR         per-fold training folders (default runs/cv)
  --threads N       LibTorch threads

Each fold trains on the other folds for a fixed number of epochs (no model selection on
the held-out fold) and is scored once. Prints per-fold accuracy, mean ± std, and the
pooled confusion matrix.
)";
}  // namespace

TrainConfig foldTrainConfig(const Args& a, const std::vector<std::string>& classNames) {
  const bool transfer = !a.get("init").empty();
  TrainConfig cfg = foldTrainDefaults(transfer);
  cfg.initModel = a.get("init");
  if (transfer) {
    const ModelInfo init = readModelInfo(cfg.initModel);
    cfg.network = init.network;
    cfg.initNewClassifier = init.classNames != classNames;
  }
  cfg.network.numClasses = static_cast<int>(classNames.size());
  cfg.network.width = a.getInt("width", cfg.network.width);
  chooseAttentionWiring(a, cfg.network);
  cfg.epochs = a.getInt("epochs", cfg.epochs);
  cfg.batchSize = a.getInt("batch", cfg.batchSize);
  cfg.lr = a.getDouble("lr", cfg.lr);
  cfg.seed = static_cast<unsigned>(a.getInt("seed", static_cast<int>(cfg.seed)));
  if (cfg.epochs < 1 || cfg.batchSize < 2 || cfg.network.width < 1)
    throw UsageError("--epochs, --batch and --width must be positive (batch >= 2)");
  return cfg;
}

int runCrossValidation(const std::vector<std::string>& argv) {
  const Args a(
      argv, {"help", "verbose"},
      {"data", "folds", "init", "epochs", "lr", "batch", "width", "seed", "out", "threads",
       "attention-wiring", "ferplus"});
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
  Dataset all = loadImageFolder(a.get("data"));
  if (a.has("ferplus")) {
    const size_t before = all.samples.size();
    const auto r = applyFerPlusOption(all, readFerPlusVotes(a.get("ferplus")), FerPlusUse::Target,
                                      a.get("ferplus"));
    std::printf("FER+ votes: %d images learn their raters' distribution and are scored against "
                "its top class (%d of them differ from their folder's label); %zu left out\n",
                r.kept, r.relabelled, before - all.samples.size());
  }
  const std::vector<int> fold = subjectFolds(all.samples, k, seed);
  const TrainConfig base = foldTrainConfig(a, all.classNames);
  const std::filesystem::path out = a.get("out", "runs/cv");

  std::vector<double> accs;
  const auto folds = crossValidate(
      all, fold,
      [&](int f) {
        TrainConfig cfg = base;
        cfg.seed = base.seed + f;
        cfg.outDir = (out / ("fold" + std::to_string(f))).string();
        return cfg;
      },
      [&](const FoldResult& r) {
        accs.push_back(r.confusion.accuracy());
        std::printf("fold %d: train %zu test %zu accuracy %.4f\n", r.fold + 1,
                    r.trainIndices.size(), r.testIndices.size(), r.confusion.accuracy());
        std::fflush(stdout);
      });
  const ConfusionMatrix pooled = pooledConfusion(folds, static_cast<int>(all.classNames.size()));
  std::fputs(pooled.report(all.classNames).c_str(), stdout);
  printCrossValidationSummary(accs, base.initModel.empty() ? "scratch" : "transfer");
  return 0;
}

}  // namespace microfer::cli
