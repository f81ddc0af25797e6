#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "microfer/output/annotator.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/pipeline/label_run.hpp"
#include "microfer/pipeline/label_session.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/pipeline/stream_run.hpp"
#include "microfer/output/results_writer.hpp"

namespace microfer::cli {
namespace fs = std::filesystem;

namespace {
const char* kLabelHelp = R"(microfer-cli label — find every face, align it, label its expression

Usage: microfer-cli label PATH... [options]
       microfer-cli label --files-from LIST [options]
       microfer-cli label --stream-url URL [--duration S] [options]

PATH is an image, a folder (searched recursively; non-images are reported and
skipped) or a video file (every Nth frame is labelled; a labelled video and one
CSV/JSONL record per processed frame are written). Every frame runs at the
settings given (the app's live view may lower them to keep up; label never does).
Labelled copies of a folder's files mirror the folder's tree under --out.

--stream-url labels a live source as it comes (the newest frame wins when labelling
is slower than the source): an IP camera or stream URL (rtsp://, http(s)://,
rtmp://, udp://, ... through FFmpeg) or a GStreamer pipeline in quotes
("videotestsrc ! videoconvert ! appsink"). A stream that stalls (no frame for 5 s)
or drops is reopened, up to 5 times in a row, each reported on stderr; then it is
"lost" (exit 1). Ctrl-C or --duration ends it cleanly: the labelled stream.avi and
the records are complete. User names and passwords in the URL are not printed or
recorded. GStreamer pipelines have no such time limit: one that stalls is not detected.

Options:
  --out DIR              results folder (default results/); created if missing.
                         Existing results are never overwritten: new names get a
                         suffix, results.csv and results.jsonl are appended to
  --files-from LIST      also label the paths in LIST, one a line ('-': stdin), as
                         given: no folder walk for a manifest of files; their
                         labelled copies mirror each path under --out
  --no-images            records only: no labelled images, videos or timelines
  --resume               skip the inputs a run into --out already finished (its
                         runs/*.done lists); records of inputs left unfinished by a
                         killed run, and a half-written last line, are dropped
                         first, so every input ends up recorded once
  --stream-url URL       label a live stream or GStreamer pipeline (see above)
  --duration S           --stream-url: stop after S seconds (default: until the
                         stream ends or is lost, or Ctrl-C)
  --every N              videos: label every Nth frame (default 1)
  --no-smooth            videos: no temporal smoothing of the labels
  --max-pixels N         refuse images larger than N pixels (default 100000000)
  --shard K/N            label only the K-th of N deterministic parts of the inputs
                         (1-based, input i goes to part i mod N); parts write into
                         their own --out, joined by `microfer-cli merge`
  --json                 stdout: one JSON object per image or video frame (the
                         results.jsonl record) and nothing else; a failed input
                         is {"source": ..., "error": ...}; the summary goes to stderr
  --quiet                print nothing but errors (no per-input lines, no
                         progress, no summary, no warnings)
  --verbose              detailed log, OpenCV's and FFmpeg's included
)";
const char* kLabelHelpEnd = R"(Writes DIR/<name>_labelled.<ext>, DIR/results.csv (one row per face), DIR/results.jsonl
(one object per image or frame, with or without faces), per video or stream
DIR/<name>_timeline.png (a panel per face track, the longest 8: the 7 probabilities
over time) and DIR/runs/<run id>.json
(program, model and checksum, detector, TTA, thresholds, inputs, start and end) with
DIR/runs/<run id>.done (the inputs it finished): a record per process, which no
other process rewrites, so that several processes may share one --out. On a terminal,
shows i/N, rate and ETA while it runs. Ends with a summary line. GIF is not read
(OpenCV 4.6 has no GIF decoder): convert it to PNG first.
Exit codes: 0 all inputs labelled, 1 some inputs failed (each named on stderr),
2 usage error, 3 model or set-up error.
)";

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

volatile std::sig_atomic_t gInterrupted = 0;
extern "C" void onInterrupt(int) {
  gInterrupted = 1;
}

/// Labels a live stream until it ends, is lost, `seconds` pass (> 0) or Ctrl-C; returns the
/// frames labelled. Throws InputError when it cannot be opened or is lost (the frames
/// labelled before stay written).
long long labelStream(LabelSession& session, const std::string& location, double seconds,
                      const Output& output, Progress& progress) {
  StreamRunOptions options;  // one-frame queue, the newest frame wins
  options.videoName = "stream.avi";
  options.seconds = seconds;
  StreamRun stream(session, openStreamProvider(location), options);
  stream.onNotice([&](const std::string& notice, bool framesAgain) {
    progress.clearLine();
    // A notice that goes because the stream is lost is followed by the error, not by
    // "frames again".
    if (!output.quiet && (!notice.empty() || framesAgain))
      std::fprintf(stderr, "%s\n",
                   notice.empty() ? (stream.name() + ": frames again").c_str() : notice.c_str());
  });
  gInterrupted = 0;
  stream.stopWhen([] { return gInterrupted != 0; });
  auto* previous = std::signal(SIGINT, onInterrupt);
  StreamRun::Step step = StreamRun::Step::Waiting;
  try {
    while (!StreamRun::over(step)) step = stream.step(std::chrono::milliseconds(200));
  } catch (...) {
    std::signal(SIGINT, previous);
    stream.abort();
    throw;
  }
  std::signal(SIGINT, previous);
  const StreamSummary summary = stream.finish();
  const FrameSource& source = stream.source();
  const long long labelled = stream.framesLabelled();
  output.line(progress, stream.name() + ": " + std::to_string(labelled) + " frames labelled (" +
                            std::to_string(source.framesDropped()) + " skipped while busy, " +
                            std::to_string(source.reconnects()) + " reconnections) -> " +
                            (summary.videoPath.empty() ? std::string("no video")
                                                       : summary.videoPath) +
                            (summary.timelinePath.empty() ? "" : ", " + summary.timelinePath));
  if (source.state() == FrameSource::State::Failed) throw InputError(stream.error());
  if (labelled == 0 && !gInterrupted)
    throw InputError("stream '" + stream.name() + "' ended without a frame");
  return labelled;
}

}  // namespace

int runLabel(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions = PipelineOptions::all();
  const Args a = pipelineOptions.parse(
      argv, {"help", "verbose", "no-smooth", "json", "quiet", "no-images", "resume"},
      {"out", "every", "max-pixels", "shard", "stream-url", "duration", "files-from"});
  if (a.flag("help")) {
    std::fputs(kLabelHelp, stdout);
    std::fputs(("\nPipeline options:\n" + pipelineOptions.help() + "\n" + kLabelHelpEnd).c_str(),
               stdout);
    return 0;
  }
  const std::string streamUrl = a.get("stream-url");
  const double duration = a.getDouble("duration", 0);
  if (duration < 0) throw UsageError("--duration must be >= 0 seconds");
  if (a.has("duration") && streamUrl.empty()) throw UsageError("--duration goes with --stream-url");
  if (!streamUrl.empty() && !isStreamLocation(streamUrl))
    throw UsageError("--stream-url takes a URL (rtsp://..., http://...) or a GStreamer "
                     "pipeline (elements joined by ' ! '); for a video file give its path");
  const std::string filesFrom = a.get("files-from");
  if (a.positional().empty() && streamUrl.empty() && filesFrom.empty())
    throw UsageError("give at least one image, folder or video, --files-from LIST or "
                     "--stream-url");
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
  if (!filesFrom.empty()) {
    const ExpandedInputs listed = expandInputs(readPathList(filesFrom), /*mirrorWholePath=*/true);
    inputs.files.insert(inputs.files.end(), listed.files.begin(), listed.files.end());
    inputs.mirrored.insert(inputs.mirrored.end(), listed.mirrored.begin(), listed.mirrored.end());
    inputs.skipped.insert(inputs.skipped.end(), listed.skipped.begin(), listed.skipped.end());
  }
  if (!output.quiet)
    for (const auto& [path, why] : inputs.skipped)
      std::fprintf(stderr, "skipped %s: %s\n", path.c_str(), why.c_str());
  // Before the writer opens the record files: a resumed run first repairs them.
  ResultsWriter::Resume resumed;
  if (a.flag("resume")) {
    resumed = ResultsWriter::resume(outDir);
    if (!output.quiet && (resumed.droppedRows > 0 || resumed.droppedRecords > 0))
      std::fprintf(stderr,
                   "resume: dropped %lld CSV rows and %lld JSONL records of inputs a run "
                   "into %s did not finish\n",
                   resumed.droppedRows, resumed.droppedRecords, outDir.c_str());
  }
  ExpandedInputs todo;  // this shard's inputs not done before
  long long alreadyDone = 0;
  for (size_t i = 0; i < inputs.files.size(); ++i) {
    if (!shard.contains(i)) continue;
    if (resumed.done.count(inputs.files[i])) {
      ++alreadyDone;
      continue;
    }
    todo.files.push_back(inputs.files[i]);
    todo.mirrored.push_back(inputs.mirrored[i]);
  }
  if (a.flag("resume") && !output.quiet)
    std::fprintf(stderr, "resume: %lld inputs already done, %zu to label\n", alreadyDone,
                 todo.files.size());
  LabelRun batch(std::move(todo));  // videos labelled frame by frame

  configureRuntime(cfg.classifier.threads);
  Pipeline pipeline(cfg);  // model / detector problems -> exit 3 in main
  ResultsWriter writer(outDir);
  LabelOptions labelOptions;
  labelOptions.writeImages = labelOptions.writeVideo = labelOptions.writeTimeline =
      !a.flag("no-images");
  labelOptions.annotate.attention = cfg.withAttention;
  labelOptions.smooth = !a.flag("no-smooth");
  labelOptions.every = every;
  labelOptions.read = readOpts;
  LabelSession session(pipeline, writer, labelOptions);

  Progress progress("label", batch.inputs().files.size(), !output.quiet);
  // Faces are counted per labelled frame: those of the stream too, and those recorded of a
  // video that failed part-way.
  long long faces = 0;
  session.onFrame([&](const FrameResult& r, const cv::Mat&) {
    output.record(progress, r);
    faces += static_cast<long>(r.faces.size());
  });
  // A failed input: named on stderr, and a {"source", "error"} line with --json.
  auto failed = [&](const std::string& source, const std::string& error) {
    progress.clearLine();
    std::fprintf(stderr, "failed %s\n", error.c_str());
    if (output.json) {
      const nlohmann::ordered_json failure = {{"source", source}, {"error", error}};
      std::printf("%s\n", failure.dump().c_str());
      std::fflush(stdout);
    }
  };
  batch.onFailed([&](const FailedInput& f) { failed(f.path, f.error); });
  batch.onLabelled([&](const LabelledInput& in) {
    if (in.isVideo) {
      const StreamSummary& video = in.video;
      progress.clearLine();
      if (!video.warning.empty()) std::fprintf(stderr, "warning: %s\n", video.warning.c_str());
      output.line(progress, in.path + ": " + std::to_string(video.framesLabelled) +
                                " frames labelled -> " +
                                (video.videoPath.empty() ? "records" : video.videoPath) +
                                (video.timelinePath.empty() ? "" : ", " + video.timelinePath));
    } else {
      const FrameResult& r = in.image.result;
      std::string labels;
      describe(r, labels);
      output.line(progress, in.path + ": " + std::to_string(r.faces.size()) + " face(s)" +
                                labels + " -> " +
                                (in.labelledPath.empty() ? "records" : in.labelledPath));
    }
  });
  // The line appears once the first input is done.
  batch.onProgress([&](size_t done, size_t, const std::string&) {
    if (done > 0) progress.update(done);
  });
  LabelRunTotals totals = batch.run(session);
  std::vector<std::string> runInputs = a.positional();
  if (!filesFrom.empty()) runInputs.push_back("--files-from " + filesFrom);
  if (!streamUrl.empty()) {
    ++totals.inputs;
    runInputs.push_back(redactStreamLocation(streamUrl));
    try {
      totals.counts.frames += labelStream(session, streamUrl, duration, output, progress);
    } catch (const std::exception& e) {
      ++totals.counts.failures;
      failed(runInputs.back(), e.what());
    }
  }
  progress.clearLine();
  totals.counts.faces = faces;
  const RunInfo run = describeRun(pipeline, std::string("microfer-cli ") + MICROFER_VERSION,
                                  runInputs, totals.counts);
  writer.finishRun(run);
  if (!output.quiet)
    std::fprintf(output.json ? stderr : stdout,
                 "summary: %lld inputs, %lld faces, %lld failures, %zu skipped%s; detector %s, "
                 "TTA %s; results in %s\n",
                 totals.inputs, totals.counts.faces, totals.counts.failures, inputs.skipped.size(),
                 a.flag("resume") ? (", " + std::to_string(alreadyDone) + " done before").c_str()
                                  : "",
                 run.detector.c_str(), run.tta.c_str(), fs::absolute(outDir).string().c_str());
  return totals.counts.failures > 0 ? 1 : 0;
}

}  // namespace microfer::cli
