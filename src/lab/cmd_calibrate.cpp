#include <spdlog/spdlog.h>

#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "microfer/train/calibration.hpp"
#include "microfer/classify/expression_classifier.hpp"
#include "microfer/classify/model_file.hpp"

namespace microfer::cli {

namespace {
const char* kCalibrateHelp = R"(microfer-train calibrate — fit the model's temperature and "uncertain" threshold

Usage: microfer-train calibrate --model IN.mfm --val DIR[,DIR...] --out OUT.mfm [options]

Runs the model (with the TTA it will be used with) over validation crops, fits the
temperature T that minimises the negative log-likelihood (softmax(logits / T) per view),
then picks the "uncertain" threshold: the largest t in 0.30..0.70 such that the faces with a
top probability in [t - 0.05, t) are right at most half of the time. Writes OUT with the same weights and both values; prints
the expected calibration error (15 bins) before and after.

  --val DIR[,DIR...]   validation folders only (FER2013's test folder with --val-prefix
                       PublicTest_, DIR:val for a person split); PrivateTest_ is refused
  --val-prefix P       (default PublicTest_) for folders without :PART
  --split-list FILE    person-level split for DIR:PART
  --ferplus FILE       FER2013 images are scored against their FER+ raters' unique
                       majority (images without one left out), as in eval --ferplus
)";
}  // namespace

int runCalibrate(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions({"tta", "threads"});
  const Args a = pipelineOptions.parse(argv, {"help", "verbose"},
                                       {"model", "val", "val-prefix", "split-list", "out", "ferplus"});
  if (a.flag("help")) {
    std::fputs(kCalibrateHelp, stdout);
    std::fputs(("\nPipeline options (use the TTA the model will be used with):\n" +
                pipelineOptions.help()).c_str(), stdout);
    return 0;
  }
  if (!a.has("model") || !a.has("val") || !a.has("out"))
    throw UsageError("calibrate needs --model IN, --val DIR and --out OUT");
  const PipelineConfig pc = pipelineConfigFromArgs(a);
  configureRuntime(pc.classifier.threads);
  FolderOptions fo;
  fo.filePrefix = a.get("val-prefix", "PublicTest_");
  fo.splitFile = a.get("split-list");
  const auto specs = splitList(a.get("val"));
  for (const auto& spec : specs)
    if (spec.find(':') == std::string::npos) refuseTestPrefix(spec, fo.filePrefix);
  Dataset val = loadSources(specs, fo);
  if (a.has("ferplus")) {
    const auto r = applyFerPlusOption(val, readFerPlusVotes(a.get("ferplus")),
                                      FerPlusUse::Majority, a.get("ferplus"));
    spdlog::info("FER+ votes: {} validation images scored against their raters' unique majority",
                 r.kept);
  }

  ClassifierConfig cc = pc.classifier;
  cc.modelPath = a.get("model");
  ExpressionClassifier classifier(cc);
  ModelInfo info;
  MicroAttentionResNet net = loadModel(cc.modelPath, info);
  ViewLogits v;
  v.weights = classifier.viewWeights();
  v.classes = static_cast<int>(info.classNames.size());
  for (size_t start = 0; start < val.samples.size(); start += 64) {
    std::vector<cv::Mat> crops;
    for (size_t i = start; i < std::min(val.samples.size(), start + 64); ++i) {
      crops.push_back(val.samples[i].image);
      v.labels.push_back(val.samples[i].label);
    }
    for (auto& l : classifier.viewLogits(crops)) v.logits.push_back(std::move(l));
  }
  const float before = info.temperature;
  const Confidences c0 = confidencesAt(v, before);
  const float t = fitTemperature(v);
  const Confidences c1 = confidencesAt(v, t);
  const float threshold = chooseUncertainThreshold(c1);
  long flagged = 0, flaggedRight = 0, keptRight = 0;
  for (size_t i = 0; i < c1.top.size(); ++i) {
    if (c1.top[i] < threshold) {
      ++flagged;
      flaggedRight += c1.right[i];
    } else {
      keptRight += c1.right[i];
    }
  }
  const long n = static_cast<long>(c1.top.size());
  std::printf("validation faces: %ld (%zu source(s)), TTA %s\n", n, specs.size(),
              toString(cc.tta.mode).c_str());
  std::printf("temperature: %.2f (was %.2f); NLL %.4f -> %.4f\n", t, before,
              negativeLogLikelihood(v, before), negativeLogLikelihood(v, t));
  std::printf("ECE (15 bins): %.4f -> %.4f\n", expectedCalibrationError(c0),
              expectedCalibrationError(c1));
  std::printf("uncertain below %.2f: %ld faces (%.1f%%), right %.1f%% of them; the rest right "
              "%.1f%%\n",
              threshold, flagged, 100.0 * flagged / n,
              flagged ? 100.0 * flaggedRight / flagged : 0.0,
              n > flagged ? 100.0 * keptRight / (n - flagged) : 0.0);
  info.temperature = t;
  info.uncertainBelow = threshold;
  info.notes += "\ncalibrated by: microfer-train calibrate " + [&] {
    std::string s;
    for (const auto& x : argv) s += x + " ";
    return s;
  }();
  saveModel(a.get("out"), net, info);
  std::printf("wrote %s\n", a.get("out").c_str());
  return 0;
}

}  // namespace microfer::cli
