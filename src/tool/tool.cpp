#include "tool.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core/version.hpp>
#include <sstream>
#include <stdexcept>

#include "microfer/classify/model_info.hpp"
#include "microfer/classify/model_path.hpp"
#include "microfer/runtime/checksum.hpp"
#include "microfer/runtime/runtime.hpp"

namespace microfer::cli {

namespace {

struct OptionDoc {
  const char* name;
  const char* value;  ///< "" for a flag
  std::string help;
};

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// The one description of every pipeline option; the defaults are the core's.
const std::vector<OptionDoc>& optionTable() {
  static const std::vector<OptionDoc> table = [] {
    const PipelineConfig d;
    const auto& t = d.detector.mtcnnThresholds;
    return std::vector<OptionDoc>{
        {"detector", "auto|yunet|mtcnn|haar",
         "face detector (default auto: YuNet where its models are found, else MTCNN where its "
         "weights are found, else Haar; see README \"Face detectors\"; the summary names the "
         "one used)"},
        {"tta", "off|flip|full",
         "test-time augmentation: 1, 2 or 8 views of each face, averaged (default " +
             toString(d.classifier.tta.mode) + ")"},
        {"model", "FILE",
         "model file (default: the installed models/microfer-resnet10.mfm, or "
         "$MICROFER_MODEL)"},
        {"min-face", "PX",
         "smallest face to find, pixels (default " + std::to_string(d.detector.minFaceSize) +
             ")"},
        {"mtcnn-thresholds", "P,R,O",
         "MTCNN's P-, R- and O-Net score thresholds (default " + number(t[0]) + "," +
             number(t[1]) + "," + number(t[2]) + "; lower finds more faces and more false ones)"},
        {"yunet-thresholds", "SCORE,NMS",
         "YuNet's face score threshold and the IoU above which a weaker overlapping box is "
         "dropped (default " + number(d.detector.yunetScoreThreshold) + "," +
             number(d.detector.yunetNmsThreshold) + "; a lower score finds more faces and more "
             "false ones)"},
        {"detect-every", "N",
         "videos and streams: search the whole frame every Nth labelled frame and, in "
         "between, only around the faces already found (default " +
             std::to_string(d.detectEvery) +
             "; a lost face brings the whole-frame search back at once; 1 = whole frame every "
             "time)"},
        {"min-confidence", "P",
         "a face whose top probability is below P is \"uncertain\": its label is kept, and it "
         "is flagged (label: drawn grey with a \"?\", uncertain=1 in results.csv, true in "
         "results.jsonl; eval: counted apart) (default: the threshold the model was "
         "calibrated with, see README \"Confidence\"; 0 = never)"},
        {"attention", "", "draw the micro-attention map over each face"},
        {"max-faces", "N", "label at most the N largest faces per image (default all)"},
        {"threads", "N",
         "inference threads (default: the cores this process may use, i.e. its CPU "
         "affinity: a Slurm task's or taskset's cores, else every core)"},
    };
  }();
  return table;
}

const OptionDoc& optionDoc(const std::string& name) {
  for (const auto& o : optionTable())
    if (name == o.name) return o;
  throw std::logic_error("'" + name + "' is not a pipeline option");
}

}  // namespace

PipelineOptions::PipelineOptions(std::vector<std::string> names) : names_(std::move(names)) {
  for (const auto& n : names_) optionDoc(n);  // a typo fails at once, in every test
}

PipelineOptions PipelineOptions::all() {
  std::vector<std::string> names;
  for (const auto& o : optionTable()) names.emplace_back(o.name);
  return PipelineOptions(names);
}

Args PipelineOptions::parse(const std::vector<std::string>& argv, std::set<std::string> flags,
                            std::set<std::string> options) const {
  for (const auto& n : names_) (*optionDoc(n).value ? options : flags).insert(n);
  return Args(argv, flags, options);
}

std::string PipelineOptions::help() const {
  std::string out;
  for (const auto& o : optionTable())  // the table's order, whatever order names_ has
    if (std::find(names_.begin(), names_.end(), o.name) != names_.end())
      out += helpLine(std::string("--") + o.name + (*o.value ? " " : "") + o.value, o.help);
  return out;
}

std::string helpLine(const std::string& option, const std::string& text) {
  constexpr size_t kColumn = 25, kWidth = 80;
  std::string out = "  " + option;
  if (out.size() + 1 < kColumn)
    out.append(kColumn - out.size(), ' ');
  else
    out += "\n" + std::string(kColumn, ' ');
  size_t lineStart = out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1;
  std::istringstream words(text);
  std::string word;
  bool first = true;
  while (words >> word) {
    if (!first && out.size() - lineStart + 1 + word.size() > kWidth) {
      out += "\n" + std::string(kColumn, ' ');
      lineStart = out.size() - kColumn;
    } else if (!first) {
      out += ' ';
    }
    out += word;
    first = false;
  }
  return out + "\n";
}

PipelineConfig pipelineConfigFromArgs(const Args& a) {
  PipelineConfig cfg;
  try {
    cfg.detector.kind = resolveDetectorChoice(
        a.has("detector") ? parseDetectorChoice(a.get("detector")) : kDefaultDetectorChoice);
    if (a.has("tta")) cfg.classifier.tta.mode = parseTtaMode(a.get("tta"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  cfg.detector.minFaceSize = a.getInt("min-face", cfg.detector.minFaceSize);
  if (a.has("mtcnn-thresholds")) {
    float t[3];
    char extra = 0;
    if (std::sscanf(a.get("mtcnn-thresholds").c_str(), "%f,%f,%f%c", &t[0], &t[1], &t[2],
                    &extra) != 3)
      throw UsageError("--mtcnn-thresholds expects P,R,O (three scores), got '" +
                       a.get("mtcnn-thresholds") + "'");
    for (int i = 0; i < 3; ++i) cfg.detector.mtcnnThresholds[i] = t[i];
  }
  if (a.has("yunet-thresholds")) {
    float score = 0, nms = 0;
    char extra = 0;
    if (std::sscanf(a.get("yunet-thresholds").c_str(), "%f,%f%c", &score, &nms, &extra) != 2)
      throw UsageError("--yunet-thresholds expects SCORE,NMS (two numbers), got '" +
                       a.get("yunet-thresholds") + "'");
    cfg.detector.yunetScoreThreshold = score;
    cfg.detector.yunetNmsThreshold = nms;
  }
  cfg.classifier.modelPath = a.get("model");
  cfg.classifier.threads = a.getInt("threads", 0);
  cfg.classifier.minConfidence = static_cast<float>(a.getDouble("min-confidence", -1.0));
  if (a.has("min-confidence") && cfg.classifier.minConfidence < 0)
    throw UsageError("--min-confidence must lie between 0 and 1");
  cfg.withAttention = a.flag("attention");
  cfg.maxFaces = a.getInt("max-faces", 0);
  cfg.detectEvery = a.getInt("detect-every", cfg.detectEvery);
  if (const std::string problem = validate(cfg); !problem.empty()) throw UsageError(problem);
  return cfg;
}

std::string versionText(const std::string& program) {
  std::string text = program + " " + MICROFER_VERSION + " (MicroFER)\n";
  const std::string path = defaultModelPath();
  if (path.empty()) {
    text += "model: none installed\n";
  } else {
    try {
      char sum[17];
      std::snprintf(sum, sizeof sum, "%016llx",
                    static_cast<unsigned long long>(fnv1a64File(path)));
      text += "model: " + readModelInfo(path).name + " (" + path + ", " +
              std::to_string(std::filesystem::file_size(path)) + " bytes, FNV-1a 64 " + sum +
              ")\n";
    } catch (const std::exception& e) {
      text += std::string("model: unreadable: ") + e.what() + "\n";
    }
  }
  text += std::string("LibTorch ") + TORCH_VERSION + ", OpenCV " + CV_VERSION + "\n";
  return text;
}

int toolMain(int argc, char** argv, const Tool& tool) {
  // Before anything else: LibTorch's OpenMP threads must not spin (see runtime.hpp).
  restartWithPassiveOpenMpWait(argv);
  // Logs go to stderr: stdout carries results only (and stays parseable when piped).
  spdlog::set_default_logger(spdlog::stderr_color_mt("microfer"));
  spdlog::set_level(spdlog::level::warn);
  argsWarningSink() = [](const std::string& message) { spdlog::warn("{}", message); };
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
    std::fputs(versionText(tool.program).c_str(), stdout);
    return 0;
  }
  if (args.empty() && *tool.defaultCommand == '\0') {
    std::fputs(tool.help, stdout);
    return 2;
  }
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    std::fputs(tool.help, stdout);
    return 0;
  }
  std::string cmd;
  if (!args.empty() && (args[0].rfind("-", 0) != 0 || *tool.defaultCommand == '\0')) {
    cmd = args[0];  // without a default command, "--verbose label" names "--verbose"
    args.erase(args.begin());
  } else {
    cmd = tool.defaultCommand;  // "microfer-bench --frames 50" is "microfer-bench bench ..."
  }
  bool verbose = false, quiet = false;
  for (const auto& a : args) {
    verbose = verbose || a == "--verbose" || a == "-v";
    quiet = quiet || a == "--quiet";
  }
  if (verbose) spdlog::set_level(spdlog::level::debug);
  else if (quiet) spdlog::set_level(spdlog::level::err);  // --quiet: nothing but errors
  setLibraryLogging(verbose);
  try {
    return tool.run(cmd, args);
  } catch (const UnknownCommand& e) {
    std::fprintf(stderr, "%s: %s (try: %s --help)\n", tool.program, e.what(), tool.program);
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s %s: %s (try: %s %s --help)\n", tool.program, cmd.c_str(), e.what(),
                 tool.program, cmd.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s %s: error: %s\n", tool.program, cmd.c_str(), e.what());
    return 3;
  }
}

namespace {
double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
std::string clock(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}
}  // namespace

Progress::Progress(std::string what, size_t total, bool enabled)
    : what_(std::move(what)),
      total_(total),
      enabled_(enabled && total > 1 && ::isatty(STDERR_FILENO) == 1),
      startSeconds_(nowSeconds()) {}

Progress::~Progress() {
  clearLine();
}

void Progress::update(size_t done) {
  if (!enabled_) return;
  const double now = nowSeconds();
  if (done < total_ && now - lastDrawSeconds_ < 0.25) return;
  lastDrawSeconds_ = now;
  const double elapsed = now - startSeconds_;
  const double rate = elapsed > 0 ? done / elapsed : 0;
  std::string eta = "--:--";
  if (rate > 0) eta = clock((total_ - std::min(done, total_)) / rate);
  std::fprintf(stderr, "\r\033[K%s %zu/%zu  %.1f/s  ETA %s", what_.c_str(), done, total_, rate,
               eta.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void Progress::clearLine() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
  lastDrawSeconds_ = -1;
}

}  // namespace microfer::cli
