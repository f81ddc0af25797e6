#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/classify/network.hpp"
#include "microfer/train/teacher_trainer.hpp"
#include "microfer/train/trainer.hpp"

namespace microfer::cli {

namespace {
const char* kTrainHelp = R"(microfer-train train — train the micro-attention ResNet on face crops

Usage: microfer-train train (--data DIR | --csv FILE) [options]

Data:
  --data DIR[,DIR...] folder per class (FER2013 image folders, CK+48, a crop cache made by
                      `microfer-train crops`); several folders = several sources. DIR:PART
                      keeps only the persons that --split-list puts in PART (train)
  --weights W[,W...]  per-source sampling weights, one per --data folder (default 1 each):
                      each epoch draws every image of a source W times on average
  --split-list FILE[,FILE...]  person-level split for DIR:PART (data/lfw-expressions-split.csv,
                      data/ckplus-split.csv; several lists are merged)
  --csv FILE          the original fer2013.csv (rows with Usage=Training)
  --val DIR[,DIR...]  validation folders (FER2013: the test folder, see --val-prefix;
                      DIR:val for a person split); with several, the score that picks
                      best.mfm is the mean of their accuracies
  --val-prefix P      keep only files starting with P in validation folders without :PART
                      (default PublicTest_; PrivateTest_ and an empty prefix are refused
                      for FER2013 folders: that is the test part)
  --val-csv           validate on the CSV's PublicTest rows (with --csv)
  --max-per-class N   use at most N images per class (smoke runs)
  --ferplus FILE      FER+ crowd votes (../shared/data/ferplus/ferplus.csv, or FER+'s
                      fer2013new.csv with --csv): every FER2013 image learns its raters'
                      distribution over the 7 classes (contempt, unknown and not-a-face
                      votes dropped, see MODEL_CARD.md); FER2013 validation images are
                      scored against the raters' unique majority (images without one are
                      left out)
Model:
  --width N           channels of the first stage (default 32)
  --blocks A,B,C,D    residual blocks per stage (default 1,1,1,1 = ResNet-10)
  --no-attention      the same network without micro-attention units (ablation)
  --attention-wiring prototxt|microfer  the micro-attention unit's wiring: prototxt (the
                      authors' Caffe prototxt: A after the block's BN-ReLU, no biases on the
                      1x1 convolutions) or microfer (A the block's raw first convolution,
                      biases: every shipped model). Default: that of the
                      --init model, else prototxt
  --init FILE         start from this model's weights (transfer learning); with a larger
                      --width, the model is widened first (the same logits at the start)
  --net face-api      fine-tune the pretrained face teacher instead (face-api's
                      faceExpressionNet, 112 x 112 RGB; docs/TRAINING.md): the same data,
                      targets, augmentation and schedule; --init is its start (default the
                      manifest of scripts/teacher/fetch-face-api.sh); writes teacher-best.pt,
                      teacher-last.pt and a resumable checkpoint into --out
  --teacher FILE[,FILE...]  distil from this model (several: their averaged soft targets);
                      a face teacher (.json manifest or a fine-tuned .pt) takes the same crops
  --source-teachers LIST  a teacher per --data source instead: one entry per source,
                      comma-separated, each entry's models joined by '+' (A+B,C,C: the
                      first source's images learn A and B's averaged soft targets)
  --distill W         weight of the distillation loss (default 0.5; 1 = soft targets only)
  --distill-temp T    softening temperature (default 2)
Optimisation:
  --epochs N (24) --batch N (128) --lr X (0.1) --wd X (5e-4) --smoothing X (0.1)
  --warmup EPOCHS (1) --balance none|sqrt|inverse (sqrt) --seed N (1)
  --balance-per-source  balance each --data source's classes within that source (a loss
                      weight per image) instead of all sources' classes pooled
  --low-res SIZE,EPOCHS  progressive resizing: the first EPOCHS epochs on crops resampled
                      to SIZE x SIZE (fewer FLOPs), the rest and validation at 48 x 48
  --no-erase          no random erasing     --max-batches N  limit batches per epoch
  --robust            domain-gap augmentation on top: blur, JPEG, gamma, uneven light,
                      aspect changes, occlusion (hand, glasses); see augment_config.hpp
Output:
  --out DIR           checkpoints, metrics.csv, curves.png, best.mfm, last.mfm (runs/train)
  --resume            continue from the checkpoint in --out
  --name NAME         model name stored in the file
  --threads N         LibTorch threads (default: all cores)
)";

}  // namespace

std::vector<int> parseIntList(const std::string& s) {
  std::vector<int> v;
  for (const auto& tok : splitList(s)) {
    try {
      v.push_back(std::stoi(tok));
    } catch (const std::exception&) {
      throw UsageError("expected a comma-separated list of integers, got '" + s + "'");
    }
  }
  return v;
}

void chooseAttentionWiring(const Args& a, NetworkConfig& network) {
  if (!network.attention && a.has("attention-wiring"))
    throw UsageError("--attention-wiring wires the attention unit, and this network has none "
                     "(--no-attention, or an --init model without it)");
  // New runs take the prototxt's wiring (rule i); a fine-tuning run keeps its start model's.
  std::string wiring = "prototxt";
  if (!network.attention) {
    wiring = "microfer";  // no unit: the file keeps the fields' old values
  } else if (a.has("attention-wiring")) {
    wiring = a.get("attention-wiring");
  } else if (a.has("init")) {
    wiring = attentionWiringName(readModelInfo(a.get("init")).network);
    if (wiring.empty())
      throw UsageError("--init model '" + a.get("init") +
                       "' has a wiring of its own; training cannot continue it");
  }
  try {
    setAttentionWiring(network, wiring);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--attention-wiring: ") + e.what());
  }
}

int runTrain(const std::vector<std::string>& argv) {
  const Args a(
      argv, {"help", "verbose", "no-attention", "resume", "no-erase", "val-csv",
             "robust", "balance-per-source"},
      {"data",        "csv",   "val",  "val-prefix", "max-per-class", "width",  "blocks",  "init",
       "weights",     "split-list", "teacher", "source-teachers", "distill", "distill-temp",
       "epochs",      "batch", "lr",   "wd",         "smoothing",     "warmup", "balance", "seed",
       "max-batches", "out",   "name", "threads", "low-res", "attention-wiring", "ferplus", "net"});
  if (a.flag("help")) {
    std::fputs(kTrainHelp, stdout);
    return 0;
  }
  if (a.has("data") == a.has("csv")) throw UsageError("give exactly one of --data or --csv");
  spdlog::set_level(a.flag("verbose") ? spdlog::level::debug : spdlog::level::info);
  tuneRuntimeForTorch(a.getInt("threads", 0));

  TrainConfig cfg;
  const std::string net = a.get("net", "microfer");
  if (net != "microfer" && net != "face-api") throw UsageError("--net must be microfer or face-api");
  const bool faceApi = net == "face-api";
  if (faceApi && (a.has("width") || a.has("blocks") || a.flag("no-attention") ||
                  a.has("attention-wiring") || a.has("low-res") || a.has("teacher") ||
                  a.has("source-teachers")))
    throw UsageError("--net face-api fine-tunes the face teacher: the shipped network's options "
                     "(--width, --blocks, --no-attention, --attention-wiring, --low-res) and "
                     "teachers do not apply");
  cfg.network.width = a.getInt("width", 32);
  if (a.has("blocks")) cfg.network.blocksPerStage = parseIntList(a.get("blocks"));
  cfg.network.attention = !a.flag("no-attention");
  if (!faceApi) chooseAttentionWiring(a, cfg.network);
  cfg.epochs = a.getInt("epochs", cfg.epochs);
  cfg.batchSize = a.getInt("batch", cfg.batchSize);
  cfg.lr = a.getDouble("lr", cfg.lr);
  cfg.weightDecay = a.getDouble("wd", cfg.weightDecay);
  cfg.labelSmoothing = a.getDouble("smoothing", cfg.labelSmoothing);
  cfg.warmupEpochs = a.getDouble("warmup", cfg.warmupEpochs);
  cfg.seed = static_cast<unsigned>(a.getInt("seed", 1));
  cfg.maxBatchesPerEpoch = a.getInt("max-batches", 0);
  cfg.outDir = a.get("out", "runs/train");
  cfg.resume = a.flag("resume");
  cfg.initModel = a.get("init");
  cfg.modelName = a.get("name", "microfer-resnet10");
  if (a.flag("robust")) cfg.augment = domainGapAugment(cfg.augment);
  if (a.has("teacher")) cfg.teacherModels = splitList(a.get("teacher"));
  if (a.has("source-teachers")) {
    if (a.has("teacher")) throw UsageError("give --teacher or --source-teachers, not both");
    if (!a.has("data")) throw UsageError("--source-teachers needs --data (a list per source)");
    const size_t sources = splitList(a.get("data")).size();
    for (const auto& entry : splitList(a.get("source-teachers"))) {
      cfg.sourceTeacherModels.push_back(splitList(entry, '+'));
      for (const auto& model : cfg.sourceTeacherModels.back())
        if (model.empty())
          throw UsageError("--source-teachers: an empty model name in '" + entry + "'");
    }
    if (cfg.sourceTeacherModels.size() != sources)
      throw UsageError("--source-teachers needs one entry per --data folder");
  }
  cfg.distillWeight = a.getDouble("distill", cfg.distillWeight);
  cfg.distillTemperature = a.getDouble("distill-temp", cfg.distillTemperature);
  if (!(cfg.distillWeight >= 0 && cfg.distillWeight <= 1) || !(cfg.distillTemperature > 0))
    throw UsageError("--distill must be 0..1 and --distill-temp positive");
  if (a.flag("no-erase")) cfg.augment.eraseProbability = 0;
  if (a.has("low-res")) {
    const std::vector<int> lr = parseIntList(a.get("low-res"));
    if (lr.size() != 2 || lr[0] < 8 || lr[0] > cfg.network.inputSize || lr[1] < 1)
      throw UsageError("--low-res takes SIZE,EPOCHS (SIZE 8.." +
                       std::to_string(cfg.network.inputSize) + ", EPOCHS >= 1)");
    cfg.lowResSize = lr[0];
    cfg.lowResEpochs = lr[1];
  }
  static const std::map<std::string, ClassBalance> balances = {{"none", ClassBalance::None},
                                                               {"sqrt", ClassBalance::Sqrt},
                                                               {"inverse", ClassBalance::Inverse}};
  const auto bal = balances.find(a.get("balance", "sqrt"));
  if (bal == balances.end()) throw UsageError("--balance must be none, sqrt or inverse");
  cfg.balance = bal->second;
  cfg.balancePerSource = a.flag("balance-per-source");
  if (cfg.epochs < 1 || cfg.batchSize < 2 || cfg.network.width < 1)
    throw UsageError("--epochs, --batch and --width must be positive (batch >= 2)");

  FolderOptions fo;
  fo.size = cfg.network.inputSize;
  fo.maxPerClass = a.getInt("max-per-class", 0);
  fo.splitFile = a.get("split-list");
  Dataset trainSet, valSet;
  bool haveVal = false;
  if (a.has("data")) {
    trainSet = loadSources(splitList(a.get("data")), fo);
    if (a.has("weights")) {
      cfg.sourceWeights = parseWeights(a.get("weights"), "--weights");
      if (cfg.sourceWeights.size() != splitList(a.get("data")).size())
        throw UsageError("--weights needs one weight per --data folder");
    }
  } else {
    trainSet = loadFer2013Csv(a.get("csv"), CsvUsage::Training);
    if (a.flag("val-csv")) {
      valSet = loadFer2013Csv(a.get("csv"), CsvUsage::PublicTest);
      haveVal = true;
    }
  }
  if (a.has("val")) {
    FolderOptions vo = fo;
    vo.filePrefix = a.get("val-prefix", "PublicTest_");
    vo.maxPerClass = 0;
    for (const auto& spec : splitList(a.get("val")))
      if (spec.find(':') == std::string::npos) refuseTestPrefix(spec, vo.filePrefix);
    valSet = loadSources(splitList(a.get("val")), vo);
    haveVal = true;
  }
  if (a.has("ferplus")) {
    const FerPlusTable votes = readFerPlusVotes(a.get("ferplus"));
    const auto t = applyFerPlusOption(trainSet, votes, FerPlusUse::Target, a.get("ferplus"));
    spdlog::info("FER+ votes: {} training images learn their raters' votes ({} relabelled by "
                 "the majority, {} without votes or a usable target left out)",
                 t.kept, t.relabelled, t.unmatched + t.matched - t.kept);
    if (haveVal) {
      const auto v = applyFerPlusVotes(valSet, votes, FerPlusUse::Majority);
      spdlog::info("FER+ votes: {} validation images scored against their raters' unique "
                   "majority ({} without one left out)",
                   v.kept, v.unmatched + v.matched - v.kept);
    }
  }
  const auto counts = trainSet.classCounts();
  std::string countText;
  for (size_t i = 0; i < counts.size(); ++i)
    countText += trainSet.classNames[i] + "=" + std::to_string(counts[i]) + " ";
  spdlog::info("training images: {} ({}); validation images: {}", trainSet.samples.size(),
               countText, haveVal ? valSet.samples.size() : 0);
  if (faceApi) {
    const std::string start = a.get("init", faceApiExpressionManifest(faceApiTeacherDir()));
    const TrainResult r = fineTuneFaceApiTeacher(trainSet, haveVal ? &valSet : nullptr, cfg, start);
    const auto& last = r.history.back();
    std::printf("fine-tuned the face teacher %d epochs; best epoch %d; last: train_acc=%.4f "
                "val_acc=%.4f\nbest: %s\nlast: %s\n",
                last.epoch, r.bestEpoch, last.trainAccuracy, last.valAccuracy,
                r.bestModel.c_str(), r.lastModel.c_str());
    return 0;
  }
  {
    MicroAttentionResNet probe(cfg.network);
    spdlog::info("network: width {}, {} blocks, attention {}, {} parameters", cfg.network.width,
                 a.get("blocks", "1,1,1,1"), describeAttention(cfg.network),
                 probe->parameterCount());
  }
  cfg.notes = "trained by: microfer-train train " + [&] {
    std::string s;
    for (const auto& x : argv) s += x + " ";
    return s;
  }();
  const TrainResult r = train(trainSet, haveVal ? &valSet : nullptr, cfg);
  const auto& last = r.history.back();
  std::printf("trained %d epochs; best epoch %d; last: train_acc=%.4f val_acc=%.4f\n", last.epoch,
              r.bestEpoch, last.trainAccuracy, last.valAccuracy);
  std::printf("best model: %s\nlast model: %s\n", r.bestModel.c_str(), r.lastModel.c_str());
  return 0;
}

}  // namespace microfer::cli
