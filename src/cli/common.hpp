// Options shared by several microfer-cli commands.
#pragma once

#include <string>
#include <vector>

#include "args.hpp"
#include "microfer/pipeline.hpp"

namespace microfer::cli {

/// --detector, --tta, --model, --min-face, --threads, --attention, --max-faces.
PipelineConfig pipelineConfigFromArgs(const Args& a);

/// --shard K/N: item i (0-based, in the sorted input order) belongs to shard K when
/// i % N == K - 1.
struct Shard {
  int index = 1, count = 1;
  bool contains(size_t i) const { return static_cast<int>(i % count) == index - 1; }
};
Shard parseShard(const std::string& text);

/// Prints "cv_accuracy_mean=... cv_accuracy_std=... folds=K <tag>" (population std) for the
/// per-fold accuracies of a cross-validation.
void printCrossValidationSummary(const std::vector<double>& foldAccuracies, const std::string& tag);

}  // namespace microfer::cli
