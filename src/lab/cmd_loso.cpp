#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/train/cross_validation.hpp"
#include "microfer/runtime/file_io.hpp"
#include "microfer/train/micro_dataset.hpp"
#include "microfer/classify/model_info.hpp"
#include "microfer/types.hpp"

namespace microfer::cli {

namespace {
const char* kLosoHelp =
    R"(microfer-train loso — leave-one-subject-out evaluation on micro-expressions (CASME II)

Usage: microfer-train loso --casme ROOT --labels SHEET.csv [options]

Data (MicroFER ships no micro-expression data; CASME II is licensed by its authors):
  --casme ROOT        frames as ROOT/sub01/EP02_01f/img46.jpg; the Cropped release's
                      reg_img46.jpg is accepted too
  --labels FILE       the label sheet saved as CSV from CASME II's .xlsx: columns Subject,
                      Filename, OnsetFrame, ApexFrame, OffsetFrame, Action Units,
                      Estimated Emotion (header case and spacing do not matter)
  --classes LIST      comma-separated class set (default happiness,disgust,repression,
                      surprise,others: the common 5-class protocol); rows with other
                      emotions are dropped
  --input apex|diff   the apex frame (default), or apex minus onset frame
  --align haar|mtcnn  detect and align the face in every frame; by default the frames are
                      taken to be face crops (the Cropped release) and only resized
  --strict            a row without an apex frame ('/') is an error, not a skipped row
Training (once per held-out subject):
  --init FILE         fine-tune from this model (its architecture and crop framing are
                      used; a new classifier layer is trained for the class set)
  --epochs N (30) --lr X (0.01, or 0.003 with --init) --batch N (32) --width N (32)
  --attention-wiring prototxt|microfer  the micro-attention unit's wiring (see `train
                      --help`; default: the --init model's, else prototxt)
  --seed N (1)        training seed of the first fold (fold f uses seed + f)
  --out DIR           per-subject training folders (default runs/loso)
  --csv FILE          per-sample predictions (default OUT/loso.csv)
  --threads N         LibTorch threads

Every subject is held out once: the model trained on all other subjects for a fixed
number of epochs (no model selection on the held-out subject) predicts its samples.
Prints per-subject accuracy, the pooled report, and a last line
loso_accuracy=... uf1=... uar=... subjects=S n=N (UF1, UAR: the MEGC metrics over all
held-out predictions).
)";

std::vector<std::string> splitClasses(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : list + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(asciiLower(cur));
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (out.size() < 2) throw UsageError("--classes needs at least 2 names, got '" + list + "'");
  return out;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void writePredictions(const std::string& path, const MicroDataset& data,
                      const std::vector<FoldResult>& folds) {
  std::ostringstream f;
  f << "subject,episode,onset_frame,apex_frame,truth,predicted,correct,sheet_row\n";
  const auto& names = data.data.classNames;
  for (const auto& fold : folds)
    for (size_t j = 0; j < fold.testIndices.size(); ++j) {
      const size_t i = fold.testIndices[j];
      const MicroEpisode& e = data.episodes[i];
      const int truth = data.data.samples[i].label, pred = fold.predicted[j];
      f << csvField(e.subject) << ',' << csvField(e.episode) << ',' << e.onset << ',' << e.apex
        << ',' << names[truth] << ',' << names[pred] << ',' << (truth == pred) << ','
        << csvField(e.where) << '\n';
    }
  writeFileAtomically(path, f.str());
}
}  // namespace

int runLoso(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose", "strict"},
               {"casme", "labels", "classes", "input", "align", "init", "epochs", "lr", "batch",
                "width", "seed", "out", "csv", "threads", "attention-wiring"});
  if (a.flag("help")) {
    std::fputs(kLosoHelp, stdout);
    return 0;
  }
  if (!a.has("casme") || !a.has("labels")) throw UsageError("--casme and --labels are required");
  spdlog::set_level(a.flag("verbose") ? spdlog::level::debug : spdlog::level::info);
  tuneRuntimeForTorch(a.getInt("threads", 0));

  MicroOptions mo;
  if (a.has("classes")) mo.classes = splitClasses(a.get("classes"));
  const std::string input = a.get("input", "apex");
  if (input != "apex" && input != "diff") throw UsageError("--input must be apex or diff");
  mo.input = input == "diff" ? MicroInput::ApexMinusOnset : MicroInput::Apex;
  mo.skipRowsWithoutApex = !a.flag("strict");
  const TrainConfig base = foldTrainConfig(a, mo.classes);
  mo.size = base.network.inputSize;
  if (!base.initModel.empty()) mo.geometry = readModelInfo(base.initModel).crop;
  std::unique_ptr<FaceDetector> detector;
  if (a.has("align")) {
    DetectorConfig dc;
    try {
      dc.kind = parseDetectorKind(a.get("align"));
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    detector = createFaceDetector(dc);
    mo.detector = detector.get();
  }

  const MicroDataset data = loadCasme2(a.get("casme"), a.get("labels"), mo);
  std::vector<std::string> subjects;
  const std::vector<int> fold = leaveOneSubjectOutFolds(data.data.samples, &subjects);
  const auto counts = data.data.classCounts();
  std::string countText;
  for (size_t c = 0; c < counts.size(); ++c)
    countText += (c ? " " : "") + mo.classes[c] + "=" + std::to_string(counts[c]);
  std::printf(
      "samples %zu (%s) from %zu subjects; %d rows of other emotions dropped, %zu rows "
      "skipped",
      data.data.samples.size(), countText.c_str(), subjects.size(), data.dropped,
      data.skipped.size());
  if (mo.detector) std::printf(", no face found in %d", data.unaligned);
  std::printf("\n");
  std::fflush(stdout);

  const std::filesystem::path out = a.get("out", "runs/loso");
  const auto folds = crossValidate(
      data.data, fold,
      [&](int f) {
        TrainConfig cfg = base;
        cfg.seed = base.seed + f;
        cfg.outDir = (out / subjects[f]).string();
        return cfg;
      },
      [&](const FoldResult& r) {
        std::printf("%s: train %zu test %zu accuracy %.4f\n", subjects[r.fold].c_str(),
                    r.trainIndices.size(), r.testIndices.size(), r.confusion.accuracy());
        std::fflush(stdout);
      });
  const ConfusionMatrix pooled = pooledConfusion(folds, static_cast<int>(mo.classes.size()));
  std::fputs(pooled.report(mo.classes).c_str(), stdout);
  const std::string csv = a.get("csv", (out / "loso.csv").string());
  std::filesystem::create_directories(std::filesystem::absolute(csv).parent_path());
  writePredictions(csv, data, folds);
  std::printf("predictions: %s\n", csv.c_str());
  std::printf("loso_accuracy=%.4f uf1=%.4f uar=%.4f subjects=%zu n=%d %s\n", pooled.accuracy(),
              pooled.macroF1(), pooled.unweightedAverageRecall(), subjects.size(), pooled.total(),
              base.initModel.empty() ? "scratch" : "transfer");
  return 0;
}

}  // namespace microfer::cli
