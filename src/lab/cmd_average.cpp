#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "commands.hpp"
#include "common.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/train/weight_transfer.hpp"

namespace microfer::cli {

namespace {
const char* kAverageHelp = R"(microfer-train average — one model whose weights are a weighted mean of several

Usage: microfer-train average --model A.mfm,B.mfm[,...] --out OUT.mfm [--weights WA,WB,...]
                              [--name NAME]

Every weight and batch-norm statistic of OUT is the weighted mean of the members' (weights
default to equal; they are divided by their sum). Such a model costs one network per face,
where an ensemble (`microfer-cli eval --model A,B`) costs one per member. It makes sense only
for models that share an ancestry: one fine-tuned from the other (an interpolation between them, as
weight-space ensembling does), or several fine-tuned from one start; models trained apart
from scratch average into noise. The members must have one architecture, input
normalisation, class list and crop geometry (else: exit 2). OUT is not calibrated
(temperature 1, no "uncertain" threshold): run `microfer-train calibrate` on it before use.
)";
}  // namespace

int runAverage(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose"}, {"model", "weights", "out", "name"});
  if (a.flag("help")) {
    std::fputs(kAverageHelp, stdout);
    return 0;
  }
  if (!a.has("model") || !a.has("out"))
    throw UsageError("average needs --model A.mfm,B.mfm[,...] and --out OUT.mfm");
  const std::vector<std::string> paths = splitList(a.get("model"));
  if (paths.size() < 2) throw UsageError("--model: name two models or more, comma-separated");
  for (const auto& p : paths)
    if (p.empty()) throw UsageError("--model: an empty file name in '" + a.get("model") + "'");
  std::vector<double> weights(paths.size(), 1.0);
  if (a.has("weights")) {
    weights = parseWeights(a.get("weights"), "--weights");
    if (weights.size() != paths.size())
      throw UsageError("--weights: one weight per --model file is needed (" +
                       std::to_string(paths.size()) + ")");
  }
  double total = 0;
  for (const double w : weights) total += w;
  if (!(total > 0 && std::isfinite(total)))
    throw UsageError("--weights: the weights are all 0 or too large");

  std::vector<ModelInfo> infos(paths.size());
  std::vector<MicroAttentionResNet> nets;
  std::vector<MicroAttentionResNetImpl*> members;
  for (size_t i = 0; i < paths.size(); ++i) {
    nets.push_back(loadModel(paths[i], infos[i]));
    members.push_back(nets.back().get());
    const ModelInfo& f = infos[0];
    const ModelInfo& m = infos[i];
    // As `eval --model A,B` (an ensemble): models that do not fit together are a usage error.
    const auto refuse = [&](const std::string& what) {
      throw UsageError("cannot average " + paths[0] + " and " + paths[i] + ": their " + what +
                       " differ");
    };
    if (m.mean != f.mean || m.stdDev != f.stdDev) refuse("input normalisations");
    if (m.classNames != f.classNames) refuse("class lists");
    if (m.crop.size != f.crop.size || m.crop.leftEyeX != f.crop.leftEyeX ||
        m.crop.rightEyeX != f.crop.rightEyeX || m.crop.eyeY != f.crop.eyeY ||
        m.crop.boxScale != f.crop.boxScale || m.crop.boxShiftY != f.crop.boxShiftY)
      refuse("crop geometries");
  }
  ModelInfo info = infos[0];
  MicroAttentionResNet out(info.network);
  try {
    averageInto(members, weights, *out);
  } catch (const std::invalid_argument& e) {
    throw UsageError("cannot average " + a.get("model") + ": " + e.what());
  }
  out->eval();
  info.name = a.get("name", "microfer-resnet10-average");
  info.temperature = 1.f;
  info.uncertainBelow = 0.f;
  std::string notes = "weight average (microfer-train average) of:";
  for (size_t i = 0; i < paths.size(); ++i) {
    char share[32];
    std::snprintf(share, sizeof share, " %.4f x ", weights[i] / total);
    notes += share + paths[i] + " (" + infos[i].name + ")" + (i + 1 < paths.size() ? "," : "");
  }
  // The temperature field (1) says it is not calibrated; calibrate appends its own line.
  info.notes = notes + "\naveraged by: microfer-train average";
  for (const auto& x : argv) info.notes += " " + x;
  saveModel(a.get("out"), out, info);
  std::printf("wrote %s (%s): %s\n", a.get("out").c_str(), info.name.c_str(), notes.c_str());
  std::printf("not calibrated: run microfer-train calibrate on it before use\n");
  return 0;
}

}  // namespace microfer::cli
