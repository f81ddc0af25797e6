#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/annotator.hpp"
#include "microfer/image_io.hpp"
#include "microfer/label_session.hpp"
#include "microfer/pipeline.hpp"
#include "microfer/results_writer.hpp"

namespace microfer::cli {
namespace fs = std::filesystem;

namespace {
const char* kLabelHelp = R"(microfer-cli label — find every face, align it, label its expression

Usage: microfer-cli label PATH... [options]

PATH is an image, a folder (searched recursively; non-images are reported and
skipped) or a video file (every Nth frame is labelled; a labelled video and one
CSV/JSONL record per processed frame are written). Every frame runs at the
settings given (the app's live view may lower them to keep up; label never does).

Options:
  --detector auto|haar|mtcnn
                         face detector (default auto: MTCNN where its weights are
                         found, see README "MTCNN weights", else Haar; the
                         summary line names the one used)
  --tta off|flip|full    test-time augmentation (default flip)
  --out DIR              results folder (default results/); created if missing.
                         Existing results are never overwritten: new names get a
                         suffix, results.csv and results.jsonl are appended to
  --model FILE           model file (default: the shipped models/microfer-resnet10.mfm)
  --min-face PX          smallest face to find, pixels (default 40)
  --mtcnn-thresholds P,R,O
                         MTCNN's P-, R- and O-Net score thresholds (default
                         0.6,0.7,0.7; lower finds more faces and more false ones)
  --every N              videos: label every Nth frame (default 1)
  --no-smooth            videos: no temporal smoothing of the labels
  --detect-every N       videos: search the whole frame every Nth labelled frame and,
                         in between, only around the faces already found (default 5;
                         a lost face brings the whole-frame search back at once;
                         1 = whole frame every time)
  --min-confidence P      a face whose top probability is below P is "uncertain":
                         drawn grey with a "?", uncertain=1 in results.csv, true in
                         results.jsonl; its label is kept (default: the threshold
                         the model was calibrated with, see README "Confidence";
                         0 = never)
  --attention            draw the micro-attention map over each face
  --max-faces N          label at most the N largest faces per image (default all)
  --max-pixels N         refuse images larger than N pixels (default 100000000)
  --shard K/N            label only the K-th of N deterministic parts of the inputs
                         (1-based); the parts' results.csv concatenate into one
  --threads N            inference threads (default: all cores)
  --json                 stdout: one JSON object per image or video frame (the
                         results.jsonl record) and nothing else; a failed input
                         is {"source": ..., "error": ...}; the summary goes to stderr
  --quiet                print nothing but errors (no per-input lines, no
                         progress, no summary)
  --verbose              detailed log, OpenCV's and FFmpeg's included

Writes DIR/<name>_labelled.<ext>, DIR/results.csv (one row per face), DIR/results.jsonl
(one object per image or frame, with or without faces) and DIR/run.json (program,
model and checksum, detector, TTA, thresholds, inputs, start and end). On a terminal,
shows i/N, rate and ETA while it runs. Ends with a summary line. GIF is not read
(OpenCV 4.6 has no GIF decoder): convert it to PNG first.
Exit codes: 0 all inputs labelled, 1 some inputs failed (each named on stderr),
2 usage error, 3 model or set-up error.
)";

struct Totals {
  long inputs = 0, faces = 0, failures = 0, frames = 0, images = 0;
};

/// Where label's lines go: human lines on stdout, or JSON lines only (--json), or nothing
/// but errors (--quiet).
struct Output {
  bool json = false, quiet = false;
  /// A human line about one input (stdout), unless --json or --quiet.
  void line(Progress& progress, const std::string& text) const {
    if (json || quiet) return;
    progress.clearLine();
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }
  /// A frame's record on stdout with --json.
  void record(Progress& progress, const FrameResult& r) const {
    if (!json) return;
    progress.clearLine();
    std::printf("%s\n", ResultsWriter::jsonRecord(r).c_str());
    std::fflush(stdout);
  }
};

void describe(const FrameResult& r, std::string& out) {
  const auto& names = emotionNames();
  for (const auto& f : r.faces) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.2f", names[f.prediction.label].c_str(),
                  f.prediction.confidence);
    out += buf;
  }
}

}  // namespace

int runLabel(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose", "no-smooth", "attention", "json", "quiet"},
               {"detector", "tta", "out", "model", "min-face", "mtcnn-thresholds", "every", "threads", "max-pixels",
                "shard", "max-faces", "detect-every", "min-confidence"});
  if (a.flag("help")) {
    std::fputs(kLabelHelp, stdout);
    return 0;
  }
  if (a.positional().empty()) throw UsageError("give at least one image, folder or video");
  PipelineConfig cfg = pipelineConfigFromArgs(a);
  const int every = a.getInt("every", 1);
  if (every < 1) throw UsageError("--every must be >= 1");
  ImageReadOptions readOpts;
  readOpts.maxPixels = static_cast<long long>(a.getDouble("max-pixels", 1e8));
  const Shard shard = parseShard(a.get("shard"));
  const std::string outDir = a.get("out", "results");

  Output output;
  output.json = a.flag("json");
  output.quiet = a.flag("quiet");
  ExpandedInputs inputs = expandInputs(a.positional());
  if (!output.quiet)
    for (const auto& [path, why] : inputs.skipped)
      std::fprintf(stderr, "skipped %s: %s\n", path.c_str(), why.c_str());
  std::vector<std::string> files;
  for (size_t i = 0; i < inputs.files.size(); ++i)
    if (shard.contains(i)) files.push_back(inputs.files[i]);

  configureRuntime(cfg.classifier.threads);
  Pipeline pipeline(cfg);  // model / detector problems -> exit 3 in main
  ResultsWriter writer(outDir, shard.index == 1);
  LabelOptions labelOptions;
  labelOptions.annotate.attention = cfg.withAttention;
  labelOptions.smooth = !a.flag("no-smooth");
  labelOptions.every = every;
  labelOptions.read = readOpts;
  LabelSession session(pipeline, writer, labelOptions);

  Totals totals;
  Progress progress("label", files.size(), !output.quiet);
  session.onFrame([&](const FrameResult& r, const cv::Mat&) {
    output.record(progress, r);
    totals.faces += static_cast<long>(r.faces.size());
  });
  for (const auto& path : files) {
    ++totals.inputs;
    try {
      std::error_code ec;
      if (hasVideoExtension(path) && !fs::is_directory(path, ec)) {
        const StreamSummary video = session.labelVideo(path);
        progress.clearLine();
        if (!video.warning.empty()) std::fprintf(stderr, "warning: %s\n", video.warning.c_str());
        totals.frames += video.framesLabelled;
        output.line(progress, path + ": " + std::to_string(video.framesLabelled) +
                                  " frames labelled -> " + video.videoPath);
      } else {
        std::string written;
        const FrameResult r = session.labelImage(path, &written).result;
        ++totals.images;
        std::string labels;
        describe(r, labels);
        output.line(progress, path + ": " + std::to_string(r.faces.size()) + " face(s)" + labels +
                                  " -> " + written);
      }
    } catch (const std::exception& e) {
      ++totals.failures;
      progress.clearLine();
      std::fprintf(stderr, "failed %s\n", e.what());
      if (output.json) {
        const nlohmann::ordered_json failure = {{"source", path}, {"error", e.what()}};
        std::printf("%s\n", failure.dump().c_str());
        std::fflush(stdout);
      }
    }
    progress.update(static_cast<size_t>(totals.inputs));
  }
  progress.clearLine();
  RunInfo run = describeRun(pipeline, std::string("microfer-cli ") + MICROFER_VERSION);
  run.inputs = a.positional();
  run.images = totals.images;
  run.frames = totals.frames;
  run.faces = totals.faces;
  run.failures = totals.failures;
  writer.finishRun(run);
  if (!output.quiet)
    std::fprintf(output.json ? stderr : stdout,
                 "summary: %ld inputs, %ld faces, %ld failures, %zu skipped; detector %s, TTA %s; "
                 "results in %s\n",
                 totals.inputs, totals.faces, totals.failures, inputs.skipped.size(),
                 run.detector.c_str(), run.tta.c_str(), fs::absolute(outDir).string().c_str());
  return totals.failures > 0 ? 1 : 0;
}

}  // namespace microfer::cli
