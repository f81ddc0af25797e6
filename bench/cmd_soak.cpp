// microfer-bench soak: many frames through the live pipeline and many images through batch
// labelling, checking that memory stays flat and that every input is accounted for in the
// results.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_support.hpp"
#include "tool.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/pipeline/label_run.hpp"
#include "microfer/pipeline/label_session.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/output/results_writer.hpp"

namespace microfer::cli {
namespace fs = std::filesystem;

namespace {

const char* kSoakHelp = R"(microfer-bench soak — long runs: flat memory, no result lost

Usage: microfer-bench soak [--frames N] [--images M] [options]

Live pipeline: a video of synthetic 640x480 frames with real faces (the frames of
`bench --make-video`, built from ../shared/data/dlib-faces) is played in a loop
until N frames have gone through the path of the desktop app's live view:
capture thread and queue (FrameSource, no frame dropped), detection following
the faces, tracking, annotation, results.csv / results.jsonl and a labelled video.
Batch labelling: a folder of M images (a few distinct frames of
`bench --make-frames`, repeated) is labelled as `microfer-cli label` and the
app's batch label a folder (LabelSession; results, labelled images, run record).

Memory (RSS) is sampled every 200 ms. For each part the command prints the RSS
after the warm-up (the first 10% of the inputs), the peak, and the growth from
the warm-up to the end; and checks the results: one results.jsonl record per
frame or image, and in results.csv exactly the rows of the faces each record
lists (a frame without a face has a record and no row).

Options:
  --frames N             frames through the live pipeline (default 10000; 0 skips)
  --images M             images through batch labelling (default 5000; 0 skips)
  --max-growth MB        largest RSS growth that passes (default 20)
  --out DIR              keep the inputs and results in DIR (new or empty); by
                         default they go to a temporary folder, removed at the end
  --json FILE            also write the figures as JSON
  --verbose              detailed log

The last line is
  soak_live_growth_mb=.. soak_batch_growth_mb=.. live_frames=K/N
  batch_images=K/M result=pass|fail
(on one line; K counts the results.jsonl records).
Exit codes: 0 pass, 1 memory grew by --max-growth or more, or results are missing,
2 usage error, 3 set-up error (no model, no ../shared data).
)";

constexpr double kBytesPerMiB = 1024.0 * 1024.0;

double toMB(double mib) {
  return mib * kBytesPerMiB / 1e6;
}
/// round1 (no "-0.0") as text.
std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", round1(v));
  return buf;
}

/// Samples the RSS every `period` in a thread of its own, with the progress (inputs done)
/// at that moment, until stopped.
class RssSampler {
 public:
  struct Sample {
    long long done;
    double rssMB;
  };
  RssSampler(std::function<long long()> progress, std::chrono::milliseconds period)
      : progress_(std::move(progress)), thread_([this, period] {
          std::unique_lock<std::mutex> lock(mutex_);
          do {
            samples_.push_back({progress_(), toMB(rssMiB())});
          } while (!stopped_.wait_for(lock, period, [this] { return stop_; }));
        }) {}
  ~RssSampler() { stop(); }
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  /// Ends sampling (one last sample is taken) and returns the samples.
  std::vector<Sample> stop() {
    if (!thread_.joinable()) return samples_;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
    samples_.push_back({progress_(), toMB(rssMiB())});
    return samples_;
  }

 private:
  std::function<long long()> progress_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::vector<Sample> samples_;
  std::thread thread_;  // last: starts once everything it uses exists
};

/// Memory over one part: RSS once the warm-up was done, the highest RSS after it, the RSS
/// when the last input was done, and the growth between the first and the last.
struct MemoryFigures {
  double afterWarmupMB = 0, peakMB = 0, endMB = 0, growthMB = 0;
};
MemoryFigures summarise(const std::vector<RssSampler::Sample>& samples, long long warmup) {
  MemoryFigures m;
  const long long last = samples.empty() ? 0 : samples.back().done;
  std::optional<double> warm, end;
  for (const auto& s : samples) {
    if (s.done < std::min(warmup, last)) continue;
    if (!warm) warm = s.rssMB;
    m.peakMB = std::max(m.peakMB, s.rssMB);
    // The first sample at the final count: later ones may be taken while the part tears
    // down.
    if (!end && s.done == last) end = s.rssMB;
  }
  m.afterWarmupMB = warm.value_or(0);
  m.endMB = end.value_or(m.afterWarmupMB);
  m.growthMB = m.endMB - m.afterWarmupMB;
  return m;
}

/// Counts the lines of a file that another part of the program appends to (results.jsonl
/// holds one line per image done): reads only what was added since the last call.
class LineCounter {
 public:
  explicit LineCounter(fs::path path) : path_(std::move(path)) {}
  long long operator()() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return lines_;
    in.seekg(offset_);
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      lines_ += std::count(buf, buf + in.gcount(), '\n');
      offset_ += in.gcount();
    }
    return lines_;
  }

 private:
  fs::path path_;
  std::streamoff offset_ = 0;
  long long lines_ = 0;
};

/// What results.csv and results.jsonl of one results folder say about the inputs.
struct Accounting {
  long long records = 0;          ///< results.jsonl lines
  long long distinctRecords = 0;  ///< distinct (source, frame) among them
  long long faces = 0;            ///< faces listed by the records
  long long withoutFace = 0;      ///< records with no face
  long long csvRows = 0;          ///< results.csv data rows
  long long mismatched = 0;       ///< records whose CSV rows differ from their face count
  bool complete(long long inputs) const {
    return records == inputs && distinctRecords == inputs && csvRows == faces && mismatched == 0;
  }
};

/// The source and frame fields at the start of a results.csv row (the source is quoted when
/// it holds a comma or a quote).
std::pair<std::string, std::string> csvKey(const std::string& row) {
  std::string source;
  size_t i = 0;
  if (!row.empty() && row[0] == '"') {
    for (i = 1; i < row.size(); ++i) {
      if (row[i] != '"') {
        source += row[i];
      } else if (i + 1 < row.size() && row[i + 1] == '"') {
        source += '"';
        ++i;
      } else {
        ++i;
        break;
      }
    }
  } else {
    i = row.find(',');
    source = row.substr(0, i);
  }
  if (i >= row.size() || row[i] != ',') return {source, ""};
  const size_t end = row.find(',', i + 1);
  return {source, row.substr(i + 1, end == std::string::npos ? end : end - i - 1)};
}

Accounting account(const std::string& outDir) {
  Accounting acc;
  std::map<std::pair<std::string, std::string>, long long> facesOf;  // record -> faces
  {
    std::ifstream in(fs::path(outDir) / "results.jsonl");
    if (!in) throw std::runtime_error("no results.jsonl in '" + outDir + "'");
    std::string line;
    while (std::getline(in, line)) {
      const nlohmann::json record = nlohmann::json::parse(line);
      const long long faces = static_cast<long long>(record.at("faces").size());
      ++acc.records;
      acc.faces += faces;
      acc.withoutFace += faces == 0;
      facesOf[{record.at("source").get<std::string>(),
               std::to_string(record.at("frame").get<long long>())}] += faces;
    }
  }
  acc.distinctRecords = static_cast<long long>(facesOf.size());
  std::ifstream in(fs::path(outDir) / "results.csv");
  if (!in) throw std::runtime_error("no results.csv in '" + outDir + "'");
  std::string row;
  std::getline(in, row);  // header
  while (std::getline(in, row)) {
    if (row.empty()) continue;
    ++acc.csvRows;
    auto it = facesOf.find(csvKey(row));
    if (it == facesOf.end()) {
      ++acc.mismatched;  // a row no record speaks of
      continue;
    }
    --it->second;
  }
  for (const auto& kv : facesOf) acc.mismatched += kv.second != 0;
  return acc;
}

/// Plays a video file again and again until `frames` frames were read, like a camera that
/// never stops (a file provider: FrameSource waits for room instead of dropping frames).
class LoopingVideo : public FrameProvider {
 public:
  LoopingVideo(std::string path, long long frames)
      : path_(std::move(path)),
        left_(frames),
        video_(openVideoProvider(path_)),
        fps_(video_->fps()) {}
  bool read(cv::Mat& frame) override {
    if (left_ <= 0) return false;
    if (!video_->read(frame)) {
      video_ = openVideoProvider(path_);  // from the start again
      if (!video_->read(frame)) return false;
    }
    --left_;
    return true;
  }
  bool isFile() const override { return true; }
  double fps() const override { return fps_; }
  std::string name() const override { return path_; }

 private:
  std::string path_;
  long long left_;
  std::unique_ptr<FrameProvider> video_;  ///< reopened by read(), in the capture thread
  double fps_;
};

struct PartResult {
  long long inputs = 0, processed = 0;
  double seconds = 0;
  MemoryFigures memory;
  Accounting accounting;
  bool passed(double maxGrowthMB) const {
    return processed == inputs && accounting.complete(inputs) && memory.growthMB < maxGrowthMB;
  }
};

/// The live part: the loop of the desktop app's live view (PipelineWorker::pullFrame) on a
/// looped video, without the GUI.
PartResult soakLive(const PipelineConfig& cfg, long long frames, const fs::path& dir) {
  const fs::path video = dir / "inputs" / "soak.avi";
  fs::create_directories(video.parent_path());
  // 10 s of one scene with a moving face; each loop starts with a jump, like a scene cut.
  // (Longer videos of `bench --make-video` change scenes, and with the default seed the
  // second scene's face is one the Haar detector misses.)
  if (runBench({"--make-video", video.string(), "--frames",
                std::to_string(std::min<long long>(frames, 300))}) != 0)
    throw std::runtime_error("cannot write the soak video");

  PartResult part;
  part.inputs = frames;
  Pipeline pipeline(cfg);
  const std::string outDir = (dir / "live").string();
  {
    ResultsWriter writer(outDir);
    LabelOptions options;
    options.annotate.attention = cfg.withAttention;
    LabelSession session(pipeline, writer, options);
    FrameSource::Options opts;
    opts.queueSize = 4;  // as the app plays a file: every frame is labelled, none dropped
    opts.dropOldest = false;
    FrameSource source(std::make_unique<LoopingVideo>(video.string(), frames), opts);
    std::atomic<long long> done{0};
    session.onFrame([&](const FrameResult&, const cv::Mat&) { ++done; });
    RssSampler sampler([&] { return done.load(); }, std::chrono::milliseconds(200));
    const auto start = Clock::now();
    std::exception_ptr failure;
    try {
      session.labelSource(source);  // closes the labelled video
    } catch (...) {
      failure = std::current_exception();
    }
    part.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    part.memory = summarise(sampler.stop(), std::max<long long>(1, frames / 10));
    part.processed = done.load();
    if (failure) std::rethrow_exception(failure);
  }
  part.accounting = account(outDir);
  return part;
}

/// The batch part: a folder of repeated real-face frames labelled as `microfer-cli label`
/// and the app's batch label one (LabelSession).
PartResult soakBatch(const PipelineConfig& cfg, long long images, const fs::path& dir) {
  const fs::path distinct = dir / "inputs" / "distinct", folder = dir / "inputs" / "images";
  const long long kinds = std::min<long long>(images, 20);
  if (runBench({"--make-frames", distinct.string(), "--frames", std::to_string(kinds)}) != 0)
    throw std::runtime_error("cannot write the soak images");
  std::vector<fs::path> sources;
  for (const auto& e : fs::directory_iterator(distinct)) sources.push_back(e.path());
  std::sort(sources.begin(), sources.end());
  if (sources.empty()) throw std::runtime_error("no soak images in '" + distinct.string() + "'");
  fs::create_directories(folder);
  for (long long i = 0; i < images; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "image%05lld.jpg", i);
    fs::copy_file(sources[static_cast<size_t>(i) % sources.size()], folder / name);
  }

  PartResult part;
  part.inputs = images;
  const std::string outDir = (dir / "batch").string();
  LineCounter progress(dir / "batch" / "results.jsonl");
  {
    // What `microfer-cli label FOLDER` and the app's batch do: one LabelSession labels each
    // image of the folder (read, detect, align, classify, annotate, write), then the run record.
    Pipeline pipeline(cfg);
    ResultsWriter writer(outDir);
    LabelOptions options;
    options.annotate.attention = cfg.withAttention;
    LabelSession session(pipeline, writer, options);
    RssSampler sampler([&] { return progress(); }, std::chrono::milliseconds(200));
    const auto start = Clock::now();
    LabelRun batch(expandInputs({folder.string()}));
    // A failed image shows in the accounting below.
    batch.onFailed([](const FailedInput& f) { spdlog::warn("soak: {}", f.error); });
    const RunCounts counts = batch.run(session).counts;
    writer.finishRun(describeRun(pipeline, std::string("microfer-bench ") + MICROFER_VERSION,
                                 {folder.string()}, counts));
    part.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    part.memory = summarise(sampler.stop(), std::max<long long>(1, images / 10));
  }
  part.accounting = account((dir / "batch").string());
  part.processed = part.accounting.records;
  return part;
}

nlohmann::json report(const char* name, const char* unit, const PartResult& p, double maxGrowthMB) {
  const Accounting& acc = p.accounting;
  std::printf("%s: %lld %s in %.1f s (%.1f/s)\n", name, p.processed, unit, p.seconds,
              p.seconds > 0 ? p.processed / p.seconds : 0.0);
  std::printf("%s: RSS after warm-up %.1f MB, peak %.1f MB, end %.1f MB, growth %+.1f MB\n", name,
              p.memory.afterWarmupMB, p.memory.peakMB, p.memory.endMB, round1(p.memory.growthMB));
  std::printf(
      "%s: accounting: %lld %s in, %lld processed, %lld results.jsonl records; %lld "
      "results.csv rows for %lld faces (%lld %s without a face); %lld mismatched -> %s\n",
      name, p.inputs, unit, p.processed, acc.records, acc.csvRows, acc.faces, acc.withoutFace, unit,
      acc.mismatched, acc.complete(p.inputs) ? "all accounted for" : "RESULTS MISSING");
  return {{"inputs", p.inputs},
          {"processed", p.processed},
          {"seconds", round1(p.seconds)},
          {"rss_after_warmup_mb", round1(p.memory.afterWarmupMB)},
          {"rss_peak_mb", round1(p.memory.peakMB)},
          {"rss_end_mb", round1(p.memory.endMB)},
          {"rss_growth_mb", round1(p.memory.growthMB)},
          {"jsonl_records", acc.records},
          {"csv_rows", acc.csvRows},
          {"faces", acc.faces},
          {"without_face", acc.withoutFace},
          {"mismatched", acc.mismatched},
          {"accounted", acc.complete(p.inputs)},
          {"passed", p.passed(maxGrowthMB)}};
}

}  // namespace

int runSoak(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions({"detector", "tta", "model", "threads"});
  const Args a = pipelineOptions.parse(argv, {"help", "verbose"},
                                       {"frames", "images", "max-growth", "out", "json"});
  if (a.flag("help")) {
    // The pipeline options go after the command's own, before the closing paragraphs.
    std::string help = kSoakHelp;
    help.insert(help.find("\nThe last line is"), "\nPipeline options:\n" + pipelineOptions.help());
    std::fputs(help.c_str(), stdout);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const long long frames = a.getInt("frames", 10000), images = a.getInt("images", 5000);
  if (frames < 0 || images < 0) throw UsageError("--frames and --images must be >= 0");
  const double maxGrowthMB = a.getDouble("max-growth", 20);
  PipelineConfig cfg = pipelineConfigFromArgs(a);

  std::optional<TempDir> tmp;
  fs::path dir;
  if (a.has("out")) {
    dir = a.get("out");
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
      throw UsageError("--out '" + dir.string() + "' is not empty: give a new folder");
    fs::create_directories(dir);
  } else {
    tmp.emplace("soak");
    dir = tmp->path;
  }
  configureRuntime(cfg.classifier.threads);
  std::printf(
      "soak: %lld frames through the live pipeline, %lld images through batch labelling; "
      "detector %s, TTA %s; working in %s\n",
      frames, images, toString(cfg.detector.kind).c_str(),
      toString(cfg.classifier.tta.mode).c_str(), dir.string().c_str());
  std::fflush(stdout);

  nlohmann::json json = {{"detector", toString(cfg.detector.kind)},
                         {"tta", toString(cfg.classifier.tta.mode)},
                         {"max_growth_mb", maxGrowthMB}};
  bool passed = true;
  std::string growth[2] = {"-", "-"}, counts[2] = {"-", "-"};
  const auto start = Clock::now();
  auto record = [&](int slot, const char* part, const char* unit, const PartResult& r, int total) {
    json[part] = report(part, unit, r, maxGrowthMB);
    passed &= r.passed(maxGrowthMB);
    growth[slot] = fixed1(r.memory.growthMB);
    counts[slot] = std::to_string(r.accounting.records) + "/" + std::to_string(total);
    std::fflush(stdout);
  };
  if (frames > 0) record(0, "live", "frames", soakLive(cfg, frames, dir), frames);
  if (images > 0) record(1, "batch", "images", soakBatch(cfg, images, dir), images);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  json["seconds"] = round1(seconds);
  json["passed"] = passed;
  writeJson(a.get("json"), json);
  std::printf("soak: %.0f s in all; growth must stay under %.1f MB\n", seconds, maxGrowthMB);
  std::printf(
      "soak_live_growth_mb=%s soak_batch_growth_mb=%s live_frames=%s batch_images=%s "
      "result=%s\n",
      growth[0].c_str(), growth[1].c_str(), counts[0].c_str(), counts[1].c_str(),
      passed ? "pass" : "fail");
  return passed ? 0 : 1;
}

}  // namespace microfer::cli
