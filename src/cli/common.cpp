#include "common.hpp"

#include <sys/resource.h>

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
  if (cfg.detector.minFaceSize < 12) throw UsageError("--min-face must be at least 12");
  if (a.has("mtcnn-thresholds")) {
    float t[3];
    char extra = 0;
    if (std::sscanf(a.get("mtcnn-thresholds").c_str(), "%f,%f,%f%c", &t[0], &t[1], &t[2],
                    &extra) != 3)
      throw UsageError("--mtcnn-thresholds expects P,R,O (three scores), got '" +
                       a.get("mtcnn-thresholds") + "'");
    for (int i = 0; i < 3; ++i) {
      if (!(t[i] > 0.f && t[i] < 1.f))
        throw UsageError("--mtcnn-thresholds: each score must lie between 0 and 1");
      cfg.detector.mtcnnThresholds[i] = t[i];
    }
  }
  cfg.classifier.modelPath = a.get("model");
  cfg.classifier.threads = a.getInt("threads", 0);
  cfg.withAttention = a.flag("attention");
  cfg.maxFaces = a.getInt("max-faces", 0);
  cfg.detectEvery = a.getInt("detect-every", cfg.detectEvery);
  if (cfg.detectEvery < 1) throw UsageError("--detect-every must be at least 1");
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
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << json.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  std::filesystem::rename(tmp, path);
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

}  // namespace microfer::cli
