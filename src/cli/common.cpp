#include "common.hpp"

#include <cmath>
#include <cstdio>

namespace microfer::cli {

PipelineConfig pipelineConfigFromArgs(const Args& a) {
  PipelineConfig cfg;
  try {
    cfg.detector.kind = parseDetectorKind(a.get("detector", "haar"));
    cfg.classifier.tta.mode = parseTtaMode(a.get("tta", "flip"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  cfg.detector.minFaceSize = a.getInt("min-face", cfg.detector.minFaceSize);
  if (cfg.detector.minFaceSize < 12) throw UsageError("--min-face must be at least 12");
  cfg.classifier.modelPath = a.get("model");
  cfg.classifier.threads = a.getInt("threads", 0);
  cfg.withAttention = a.flag("attention");
  cfg.maxFaces = a.getInt("max-faces", 0);
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

}  // namespace microfer::cli
