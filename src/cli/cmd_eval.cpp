#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/dataset.hpp"
#include "microfer/metrics.hpp"
#include "microfer/pipeline.hpp"
#include "microfer/plot.hpp"

namespace microfer::cli {

namespace {
const char* kEvalHelp = R"(microfer-cli eval — accuracy of a model on labelled face crops

Usage: microfer-cli eval --data DIR [options]
       microfer-cli eval --csv fer2013.csv [options]

  --data DIR             folder per class (e.g. FER2013's test/ folder, CK+48)
  --csv FILE             the original fer2013.csv
  --split public|private|all
                         FER2013: PublicTest_ (validation) or PrivateTest_ (final
                         test) files of the folder / rows of the CSV; all: every file
                         (default all)
  --tta off|flip|full    test-time augmentation (default flip)
  --model FILE           model file (default: the shipped model)
  --confusion PNG        also draw the confusion matrix to this file
  --pipeline             run the full pipeline instead of classifying the crops:
                         each crop is padded by --pad PX (default 8) on every
                         side, with mid-grey or, with --pad-border replicate, its
                         own edge pixels; then upscaled to 192x192,
                         then detected (--detector, --min-face), aligned and
                         classified; reports how many faces were found and the
                         accuracy on those
  --detector auto|haar|mtcnn
                         with --pipeline (default auto: MTCNN where its weights
                         are found, else Haar)
  --mtcnn-thresholds P,R,O
                         with --pipeline: MTCNN's score thresholds (default
                         0.6,0.7,0.7)
  --threads N            inference threads

Prints per-class precision/recall/F1, the confusion matrix and a last line
"accuracy=0.7012 macro_f1=0.6811 n=3589".
)";
}  // namespace

int runEval(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose", "pipeline"},
               {"data", "csv", "split", "tta", "model", "confusion", "detector", "min-face", "mtcnn-thresholds",
                "threads", "batch", "pad", "pad-border"});
  if (a.flag("help")) {
    std::fputs(kEvalHelp, stdout);
    return 0;
  }
  if (a.has("data") == a.has("csv")) throw UsageError("give exactly one of --data or --csv");
  const std::string split = a.get("split", "all");
  if (split != "public" && split != "private" && split != "all")
    throw UsageError("--split must be public, private or all");
  PipelineConfig cfg = pipelineConfigFromArgs(a);
  if (!a.has("min-face")) cfg.detector.minFaceSize = 40;
  configureRuntime(cfg.classifier.threads);

  Dataset ds;
  if (a.has("data")) {
    FolderOptions fo;
    fo.filePrefix = split == "public" ? "PublicTest_" : split == "private" ? "PrivateTest_" : "";
    fo.skipUnknownClasses = false;
    ds = loadImageFolder(a.get("data"), fo);
  } else {
    ds = loadFer2013Csv(a.get("csv"), split == "public"    ? CsvUsage::PublicTest
                                      : split == "private" ? CsvUsage::PrivateTest
                                                           : CsvUsage::All);
  }
  const auto t0 = std::chrono::steady_clock::now();
  ConfusionMatrix cm(kNumEmotions);
  long found = 0;
  if (!a.flag("pipeline")) {
    ExpressionClassifier classifier(cfg.classifier);
    const size_t batch = static_cast<size_t>(std::max(1, a.getInt("batch", 64)));
    for (size_t start = 0; start < ds.samples.size(); start += batch) {
      std::vector<cv::Mat> crops;
      for (size_t i = start; i < std::min(ds.samples.size(), start + batch); ++i)
        crops.push_back(ds.samples[i].image);
      const auto preds = classifier.classify(crops);
      for (size_t i = 0; i < preds.size(); ++i) cm.add(ds.samples[start + i].label, preds[i].label);
    }
    found = static_cast<long>(ds.samples.size());
  } else {
    Pipeline pipeline(cfg);
    const int pad = a.getInt("pad", 8);
    const std::string border = a.get("pad-border", "grey");
    if (border != "grey" && border != "replicate")
      throw UsageError("--pad-border must be grey or replicate");
    for (const auto& s : ds.samples) {
      cv::Mat padded, big, bgr;
      cv::copyMakeBorder(s.image, padded, pad, pad, pad, pad,
                         border == "grey" ? cv::BORDER_CONSTANT : cv::BORDER_REPLICATE,
                         cv::Scalar(128));
      cv::resize(padded, big, cv::Size(192, 192), 0, 0, cv::INTER_CUBIC);
      cv::cvtColor(big, bgr, cv::COLOR_GRAY2BGR);
      const FrameResult r = pipeline.process(bgr, s.path);
      if (r.faces.empty()) continue;
      ++found;
      cm.add(s.label, r.faces.front().prediction.label);  // the largest face
    }
    std::printf("pipeline: face found in %ld of %zu images (%.2f%%), detector %s\n", found,
                ds.samples.size(), 100.0 * found / ds.samples.size(),
                toString(cfg.detector.kind).c_str());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("model: %s  split: %s  tta: %s  images: %zu  time: %.1f s (%.2f ms/image)\n",
              cfg.classifier.modelPath.empty() ? "default" : cfg.classifier.modelPath.c_str(),
              split.c_str(), toString(cfg.classifier.tta.mode).c_str(), ds.samples.size(), secs,
              1000 * secs / std::max<size_t>(1, ds.samples.size()));
  if (a.has("confusion")) {
    writeImageAtomically(
        a.get("confusion"),
        plotConfusion(cm, ds.classNames,
                      "split " + split + ", TTA " + toString(cfg.classifier.tta.mode) +
                          ", accuracy " + std::to_string(cm.accuracy()).substr(0, 6)));
    std::printf("confusion matrix: %s\n", a.get("confusion").c_str());
  }
  std::fputs(cm.report(ds.classNames).c_str(), stdout);
  return 0;
}

}  // namespace microfer::cli
