#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "microfer/train/calibration.hpp"
#include "microfer/runtime/checksum.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/train/metrics.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/runtime/file_io.hpp"
#include "microfer/train/plot.hpp"
#include "microfer/train/teacher_trainer.hpp"

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
  --split train|val|test --split-list FILE
                         photo sets: the persons that the person-level split list
                         (data/lfw-expressions-split.csv) puts in that part
  --exclude-twins DIR    leave out every image whose file is byte-identical to one
                         under DIR (FER2013: test crops duplicated in train/)
  --ferplus FILE         score against the FER+ raters (../shared/data/ferplus/ferplus.csv,
                         or FER+'s fer2013new.csv with --csv): the truth of an image is its
                         raters' unique majority among the 7 classes (images without one are
                         left out), and the probability the model puts on the raters' votes
                         (their distribution as the training target, MODEL_CARD.md) is
                         reported as a mean and a cross-entropy
  --confusion PNG        also draw the confusion matrix to this file
  --probs CSV            also write each image's answer to this file: its path, true
                         and predicted class, confidence, uncertain (0/1) and the
                         calibrated probability of each class (for metrics of your own)
  --pipeline             run the full pipeline instead of classifying the crops:
                         each crop is padded by --pad PX (default 8) on every
                         side, with mid-grey or, with --pad-border replicate, its
                         own edge pixels; then upscaled to 192x192,
                         then detected (--detector, --min-face), aligned and
                         classified; reports how many faces were found and the
                         accuracy on those
  --quiet                no progress line (on a terminal it shows i/N, rate, ETA)
                         and no warnings; the figures are printed
  --model A.mfm,B.mfm    (crops, not --pipeline) an ensemble: the label is the argmax of
                         the mean of the models' calibrated probabilities; each model costs
                         its own time per face. A face teacher (.json manifest or a
                         fine-tuned .pt, docs/TRAINING.md) is scored on the same crops,
                         flipped unless --tta off, uncalibrated; alone or in an ensemble

Prints per-class precision/recall/F1, the confusion matrix and a last line
"accuracy=0.7012 macro_f1=0.6811 n=3589".
)";

std::set<uint64_t> fileHashesUnder(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw UsageError("--exclude-twins: folder '" + dir + "' not found");
  std::set<uint64_t> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.insert(fnv1a64File(e.path().string()));
  return out;
}
}  // namespace

int runEval(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions({"detector", "tta", "model", "min-face",
                                         "mtcnn-thresholds", "yunet-thresholds", "min-confidence",
                                         "threads"});
  const Args a = pipelineOptions.parse(
      argv, {"help", "verbose", "pipeline", "quiet"},
      {"data", "csv", "split", "confusion", "batch", "pad", "pad-border", "split-list",
       "exclude-twins", "probs", "ferplus"});
  if (a.flag("help")) {
    std::string help = kEvalHelp;
    help.insert(help.find("\nPrints per-class"),
                "\nPipeline options (--detector, --min-face, --mtcnn-thresholds and --yunet-thresholds with "
                "--pipeline):\n" + pipelineOptions.help());
    std::fputs(help.c_str(), stdout);
    return 0;
  }
  if (a.has("data") == a.has("csv")) throw UsageError("give exactly one of --data or --csv");
  const std::string split = a.get("split", "all");
  const bool personSplit = split == "train" || split == "val" || split == "test";
  if (split != "public" && split != "private" && split != "all" && !personSplit)
    throw UsageError("--split must be public, private, all, train, val or test");
  if (personSplit != a.has("split-list"))
    throw UsageError("--split train|val|test goes with --split-list FILE (and only they do)");
  PipelineConfig cfg = pipelineConfigFromArgs(a);
  configureRuntime(cfg.classifier.threads);
  if (a.flag("pipeline") && cfg.classifier.modelPath.find(',') != std::string::npos)
    throw UsageError("--pipeline takes one --model, not an ensemble");
  if (a.flag("pipeline") && isFaceApiTeacherFile(cfg.classifier.modelPath))
    throw UsageError("--pipeline runs MicroFER models; a face teacher is scored on crops");

  Dataset ds;
  if (a.has("data")) {
    FolderOptions fo;
    fo.filePrefix = split == "public" ? "PublicTest_" : split == "private" ? "PrivateTest_" : "";
    fo.skipUnknownClasses = false;
    if (personSplit) {
      fo.splitFile = a.get("split-list");
      fo.splitPart = split;
    }
    ds = loadImageFolder(a.get("data"), fo);
    if (a.has("exclude-twins")) {
      const size_t before = ds.samples.size();
      const std::set<uint64_t> twins = fileHashesUnder(a.get("exclude-twins"));
      ds.samples.erase(std::remove_if(ds.samples.begin(), ds.samples.end(),
                                      [&](const Sample& s) {
                                        return twins.count(fnv1a64File(s.path)) > 0;
                                      }),
                       ds.samples.end());
      std::printf("left out %zu of %zu images with a byte-identical file under %s\n",
                  before - ds.samples.size(), before, a.get("exclude-twins").c_str());
    }
  } else {
    ds = loadFer2013Csv(a.get("csv"), split == "public"    ? CsvUsage::PublicTest
                                      : split == "private" ? CsvUsage::PrivateTest
                                                           : CsvUsage::All);
  }
  if (a.has("ferplus")) {
    const size_t before = ds.samples.size();
    const auto r = applyFerPlusOption(ds, readFerPlusVotes(a.get("ferplus")),
                                      FerPlusUse::Majority, a.get("ferplus"));
    std::printf("FER+ raters: %d of %zu images have a unique majority among the 7 classes "
                "(the truth below); %d of them differ from the original label; %zu left out\n",
                r.kept, before, r.relabelled, before - ds.samples.size());
  }
  double onVotes = 0, voteEntropy = 0;  // probability on the raters' votes; cross-entropy
  long voted = 0;
  const auto t0 = std::chrono::steady_clock::now();
  ConfusionMatrix cm(kNumEmotions);
  Confidences conf;  // top probability and right/wrong per face: calibration figures
  long uncertain = 0, uncertainRight = 0;
  std::string probs = "file,truth,label,confidence,uncertain";
  for (const std::string& name : emotionNames()) probs += "," + name;
  probs += "\n";
  const auto count = [&](const Sample& s, const Prediction& p) {
    const int truth = s.label;
    if (a.has("probs")) {
      probs += csvField(s.path) + "," + emotionNames()[truth] + "," + emotionNames()[p.label];
      char buf[32];
      std::snprintf(buf, sizeof buf, ",%.6f,%d", p.confidence, p.uncertain ? 1 : 0);
      probs += buf;
      for (float v : p.probs) {
        std::snprintf(buf, sizeof buf, ",%.6f", v);
        probs += buf;
      }
      probs += "\n";
    }
    cm.add(truth, p.label);
    if (!s.target.empty()) {
      ++voted;
      for (int c = 0; c < kNumEmotions; ++c) {
        onVotes += s.target[c] * p.probs[c];
        voteEntropy -= s.target[c] * std::log(std::max(p.probs[c], 1e-12f));
      }
    }
    conf.top.push_back(p.confidence);
    conf.right.push_back(p.label == truth);
    uncertain += p.uncertain;
    uncertainRight += p.uncertain && p.label == truth;
  };
  long found = 0;
  if (!a.flag("pipeline")) {
    // One classifier per member of an ensemble (--model A,B,...); one model (or none: the
    // default) is an ensemble of one.
    // A member is a MicroFER model or a face teacher file (.json manifest / fine-tuned .pt):
    // the teacher is scored on the same crops, flipped with any TTA other than off,
    // uncalibrated.
    std::vector<std::unique_ptr<ExpressionClassifier>> models;
    std::vector<std::function<std::vector<Prediction>(const std::vector<cv::Mat>&)>> members;
    const std::vector<std::string> paths = splitList(cfg.classifier.modelPath);
    for (const std::string& path : paths) {
      if (path.empty() && paths.size() > 1)
        throw UsageError("--model: an empty name in the list '" + cfg.classifier.modelPath + "'");
      if (isFaceApiTeacherFile(path)) {
        FaceApiExpressionNet teacher = loadFaceApiTeacher(path);
        const bool flip = cfg.classifier.tta.mode != TtaMode::Off;
        members.push_back([teacher, flip](const std::vector<cv::Mat>& crops) mutable {
          std::vector<Prediction> out;
          for (const auto& p : predictFaceApi(teacher, crops, flip)) {
            Prediction pred;
            std::copy(p.begin(), p.end(), pred.probs.begin());
            pred.settle();
            out.push_back(pred);
          }
          return out;
        });
        continue;
      }
      ClassifierConfig member = cfg.classifier;
      member.modelPath = path;
      models.push_back(std::make_unique<ExpressionClassifier>(member));
      ExpressionClassifier* model = models.back().get();
      members.push_back([model](const std::vector<cv::Mat>& crops) { return model->classify(crops); });
      if (models.size() > 1 && (model->cropGeometry().size != models.front()->cropGeometry().size ||
                                model->classNames() != models.front()->classNames()))
        throw UsageError("--model: the ensemble's models must take the same crop size and "
                         "have the same classes in the same order");
    }
    if (members.size() > 1)
      std::printf("ensemble of %zu models: the mean of their probabilities; uncertain below %.2f "
                  "(the first model's threshold)\n",
                  members.size(), models.empty() ? 0.f : models.front()->uncertainBelow());
    const size_t batch = static_cast<size_t>(std::max(1, a.getInt("batch", 64)));
    Progress progress("eval", ds.samples.size(), !a.flag("quiet"));
    for (size_t start = 0; start < ds.samples.size(); start += batch) {
      std::vector<cv::Mat> crops;
      for (size_t i = start; i < std::min(ds.samples.size(), start + batch); ++i)
        crops.push_back(ds.samples[i].image);
      auto preds = members.front()(crops);
      if (members.size() > 1) {
        for (size_t m = 1; m < members.size(); ++m) {
          const auto more = members[m](crops);
          for (size_t i = 0; i < preds.size(); ++i)
            for (int c = 0; c < kNumEmotions; ++c) preds[i].probs[c] += more[i].probs[c];
        }
        for (auto& p : preds) {
          for (float& v : p.probs) v /= static_cast<float>(members.size());
          p.settle();
        }
      }
      for (size_t i = 0; i < preds.size(); ++i) count(ds.samples[start + i], preds[i]);
      progress.update(start + preds.size());
    }
    found = static_cast<long>(ds.samples.size());
  } else {
    Pipeline pipeline(cfg);
    const int pad = a.getInt("pad", 8);
    const std::string border = a.get("pad-border", "grey");
    if (border != "grey" && border != "replicate")
      throw UsageError("--pad-border must be grey or replicate");
    Progress progress("eval", ds.samples.size(), !a.flag("quiet"));
    for (const auto& s : ds.samples) {
      progress.update(static_cast<size_t>(&s - ds.samples.data()));
      cv::Mat padded, big, bgr;
      cv::copyMakeBorder(s.image, padded, pad, pad, pad, pad,
                         border == "grey" ? cv::BORDER_CONSTANT : cv::BORDER_REPLICATE,
                         cv::Scalar(128));
      cv::resize(padded, big, cv::Size(192, 192), 0, 0, cv::INTER_CUBIC);
      cv::cvtColor(big, bgr, cv::COLOR_GRAY2BGR);
      const FrameResult r = pipeline.process(bgr, s.path);
      if (r.faces.empty()) continue;
      ++found;
      count(s, r.faces.front().prediction);  // the largest face
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
  if (a.has("probs")) {
    writeFileAtomically(a.get("probs"), probs);
    std::printf("answers: %s\n", a.get("probs").c_str());
  }
  const long n = static_cast<long>(conf.top.size());
  long right = 0;
  for (bool r : conf.right) right += r;
  std::printf("calibration: ECE %.4f (15 bins); uncertain: %ld of %ld faces (%.1f%%), right "
              "%.1f%% of them; the others right %.1f%%\n",
              expectedCalibrationError(conf), uncertain, n, n ? 100.0 * uncertain / n : 0.0,
              uncertain ? 100.0 * uncertainRight / uncertain : 0.0,
              n > uncertain ? 100.0 * (right - uncertainRight) / (n - uncertain) : 0.0);
  {
    // Unbalanced test sets (lfw-expressions): the mean recall over the classes with enough
    // images to measure one.
    double sum = 0;
    int classes = 0;
    std::string names;
    const auto m = cm.perClass();
    for (size_t c = 0; c < m.size(); ++c)
      if (m[c].support >= 20) {
        sum += m[c].recall;
        ++classes;
        names += (names.empty() ? "" : ",") + ds.classNames[c];
      }
    std::printf("macro recall over the %d classes with >= 20 images (%s): %.4f\n", classes,
                names.c_str(), classes ? sum / classes : 0.0);
  }
  if (voted > 0)
    std::printf("FER+ votes: mean probability on the raters' votes %.4f, cross-entropy %.4f "
                "(n=%ld)\n", onVotes / voted, voteEntropy / voted, voted);
  std::fputs(cm.report(ds.classNames).c_str(), stdout);
  return 0;
}

}  // namespace microfer::cli
