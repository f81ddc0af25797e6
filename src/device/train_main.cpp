// microfer-train-device: trains the expression network from crop packs with the data and
// its augmentation on the device (CUDA where present). Builds against LibTorch alone.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <torch/cuda.h>

#include "args.hpp"
#include "microfer/train/device_trainer.hpp"

namespace {

const char* kUsage =
    "microfer-train-device --train TRAIN.mfc [--val VAL.mfc] --out DIR [options]\n"
    "Trains the micro-attention ResNet on crop packs (microfer-train pack) with augmentation on\n"
    "the device; writes DIR/best.mfw (best --val accuracy), DIR/last.mfw, DIR/metrics.csv.\n"
    "Turn a .mfw into a model file with: microfer-train export --weights DIR/best.mfw --out M.mfm\n"
    "  --epochs N (120) --batch N (128) --lr X (0.05) --wd X (5e-4) --smoothing X (0.1)\n"
    "  --warmup EPOCHS (1) --balance none|sqrt|inverse (sqrt) --seed N (1)\n"
    "  --width N (32) --blocks A,B,C,D (1,1,1,1) --no-attention --dropout X (0.2)\n"
    "  --attention-wiring prototxt|microfer (prototxt: A after BN-ReLU, no 1x1 biases;\n"
    "    microfer: A raw, biases, the wiring of every shipped model)\n"
    "  --no-erase --budget SECONDS (shorten the schedule to fit) --max-batches N --cpu\n"
    "  --threads N (CPU threads; default: every logical CPU) --notes TEXT\n"
    "Options are --name value or --name=value; -h is --help. An option given twice takes its\n"
    "last value, and a warning names both.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace microfer;
  // The options parser of microfer-cli and microfer-train (src/tool/args.hpp): an unknown or
  // misspelt option is refused, and one given twice takes its last value with a warning naming
  // both.
  const std::vector<std::string> argList(argv + 1, argv + argc);
  std::optional<cli::Args> parsed;
  try {
    parsed.emplace(argList, std::set<std::string>{"no-attention", "no-erase", "cpu", "help"},
                   std::set<std::string>{"attention-wiring", "balance", "batch", "blocks",
                                         "budget", "dropout", "epochs", "lr", "max-batches",
                                         "notes", "out", "seed", "smoothing", "threads",
                                         "train", "val", "warmup", "wd", "width"});
    if (!parsed->positional().empty())
      throw cli::UsageError("unexpected argument '" + parsed->positional().front() + "'");
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "%s\n%s", e.what(), kUsage);
    return 2;
  }
  const cli::Args& a = *parsed;
  if (a.flag("help") || !a.has("train") || !a.has("out")) {
    std::fputs(kUsage, a.flag("help") ? stdout : stderr);
    return a.flag("help") ? 0 : 2;
  }
  try {
    DeviceTrainConfig c;  // its defaults are the options' defaults
    c.outDir = a.get("out");
    c.epochs = a.getInt("epochs", c.epochs);
    c.batchSize = a.getInt("batch", c.batchSize);
    c.lr = a.getDouble("lr", c.lr);
    c.weightDecay = a.getDouble("wd", c.weightDecay);
    c.labelSmoothing = a.getDouble("smoothing", c.labelSmoothing);
    c.warmupEpochs = a.getDouble("warmup", c.warmupEpochs);
    const int seed = a.getInt("seed", 1);
    if (seed < 0) throw cli::UsageError("--seed must not be negative");
    c.seed = unsigned(seed);
    c.network.width = a.getInt("width", c.network.width);
    c.network.dropout = a.getDouble("dropout", c.network.dropout);
    c.network.attention = !a.flag("no-attention");
    if (!c.network.attention && a.has("attention-wiring")) {
      std::fprintf(stderr, "--attention-wiring wires the attention unit: not with --no-attention\n");
      return 2;
    }
    if (c.network.attention) {
      try {  // setAttentionWiring names the wirings it knows
        setAttentionWiring(c.network, a.get("attention-wiring", "prototxt"));
      } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "--attention-wiring: %s\n", e.what());
        return 2;
      }
    }
    if (a.has("blocks")) {
      c.network.blocksPerStage.clear();
      std::string s = a.get("blocks");
      for (size_t p = 0; p <= s.size();) {
        const size_t q = std::min(s.find(',', p), s.size());
        c.network.blocksPerStage.push_back(std::stoi(s.substr(p, q - p)));
        p = q + 1;
      }
    }
    const std::string bal = a.get("balance", "sqrt");
    if (bal == "none") c.balance = ClassBalance::None;
    else if (bal == "sqrt") c.balance = ClassBalance::Sqrt;
    else if (bal == "inverse") c.balance = ClassBalance::Inverse;
    else throw std::invalid_argument("--balance must be none, sqrt or inverse");
    if (a.flag("no-erase")) c.augment.eraseProbability = 0;
    c.budgetSeconds = a.getDouble("budget", 0);
    c.maxBatchesPerEpoch = a.getInt("max-batches", 0);
    c.cpu = a.flag("cpu");
    // LibTorch's default is one thread per physical core; use every logical CPU.
    const int cpus = int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(a.getInt("threads", cpus));
    if (c.epochs < 1 || c.batchSize < 1 || c.lr <= 0)
      throw std::invalid_argument("--epochs, --batch and --lr must be positive");

    const CropPack train = readCropPack(a.get("train"));
    CropPack val;
    if (a.has("val")) val = readCropPack(a.get("val"));
    c.network.inputSize = train.size;
    c.network.numClasses = int(train.classNames.size());
    std::string cmd;
    for (int i = 1; i < argc; ++i) cmd += std::string(i > 1 ? " " : "") + argv[i];
    c.notes = a.get("notes", "microfer-train-device " + cmd);
    std::fprintf(stderr, "train %zu crops, val %zu crops, %s, CUDA %s\n", train.count(),
                 val.count(), c.cpu ? "CPU forced" : "auto device",
                 torch::cuda::is_available() ? "available" : "not available");
    const auto t0 = std::chrono::steady_clock::now();
    const DeviceTrainResult r = trainOnDevice(train, a.has("val") ? &val : nullptr, c);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& best = r.history[r.bestEpoch - 1];
    std::printf("device=%s epochs=%d best_epoch=%d val_accuracy=%.4f val_flip_accuracy=%.4f "
                "seconds=%.0f\n",
                r.device.c_str(), r.epochs, r.bestEpoch, best.valAccuracy, best.valFlipAccuracy,
                secs);
    return 0;
  } catch (const cli::UsageError& e) {  // a number that is not one
    std::fprintf(stderr, "%s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "microfer-train-device: %s\n", e.what());
    return 1;
  }
}
