#include "common.hpp"

#include "microfer/runtime/file_io.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace microfer::cli {

PipelineConfig pipelineConfigFromArgs(const Args& a) {
  PipelineConfig cfg;
  try {
    cfg.detector.kind = resolveDetectorChoice(a.get("detector", "auto"));
    cfg.classifier.tta.mode = parseTtaMode(a.get("tta", "flip"));
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

Shard parseShard(const std::string& text) {
  Shard s;
  if (text.empty()) return s;
  int k = 0, n = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n)
    throw UsageError("--shard expects K/N with 1 <= K <= N, got '" + text + "'");
  s.index = k;
  s.count = n;
  return s;
}

void printCrossValidationSummary(const std::vector<double>& acc, const std::string& tag) {
  double mean = 0, var = 0;
  for (double v : acc) mean += v / acc.size();
  for (double v : acc) var += (v - mean) * (v - mean) / acc.size();
  std::printf("cv_accuracy_mean=%.4f cv_accuracy_std=%.4f folds=%zu %s\n", mean, std::sqrt(var),
              acc.size(), tag.c_str());
}

namespace {
/// A field of /proc/self/status in MiB (VmRSS, VmHWM); falls back to getrusage's peak.
double procStatusMiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + key.size()) / 1024.0;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // kilobytes on Linux
}
}  // namespace

double peakRssMiB() {
  return procStatusMiB("VmHWM");
}
double rssMiB() {
  return procStatusMiB("VmRSS");
}

void writeJson(const std::string& path, const nlohmann::json& json) {
  if (path.empty()) return;
  writeFileAtomically(path, json.dump(2) + "\n");
}

TempDir::TempDir(const std::string& tag) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("microfer-" + tag + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
  path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t c = s.find(',', pos);
    out.push_back(s.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

/// A validation folder that holds FER2013's PrivateTest_ files may only be read through a
/// prefix that excludes them: model selection never sees the test part.
void refuseTestPrefix(const std::string& dir, const std::string& prefix) {
  // A prefix reaches PrivateTest_ files when it starts with "PrivateTest" or is itself the
  // start of "PrivateTest_" ("", "P", "Priv", ...).
  if (prefix.rfind("PrivateTest", 0) != 0 && std::string("PrivateTest_").rfind(prefix, 0) != 0)
    return;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("PrivateTest_", 0) == 0)
      throw UsageError("--val-prefix '" + prefix + "' would validate on FER2013's PrivateTest_ " +
                       "files in '" + dir + "', the test part; use PublicTest_");
}

/// Loads "DIR" or "DIR:PART" folders as sources 0, 1, ... of one data set.
Dataset loadSources(const std::vector<std::string>& specs, const FolderOptions& base) {
  Dataset all;
  for (size_t i = 0; i < specs.size(); ++i) {
    FolderOptions o = base;
    std::string dir = specs[i];
    const auto colon = dir.rfind(':');
    if (colon != std::string::npos) {
      o.splitPart = dir.substr(colon + 1);
      dir.resize(colon);
      o.filePrefix.clear();
      if (o.splitFile.empty()) throw UsageError("'" + specs[i] + "' needs --split-list FILE");
    }
    Dataset d = loadImageFolder(dir, o);
    for (auto& smp : d.samples) smp.source = static_cast<int>(i);
    if (all.classNames.empty()) all.classNames = d.classNames;
    std::move(d.samples.begin(), d.samples.end(), std::back_inserter(all.samples));
    spdlog::info("source {}: {} ({} images)", i, specs[i],
                 std::count_if(all.samples.begin(), all.samples.end(),
                               [&](const Sample& s) { return s.source == int(i); }));
  }
  return all;
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
