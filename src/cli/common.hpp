// Options and helpers shared by the commands of microfer-cli and microfer-train (library
// microfer_cli_common, on microfer_train; those shared with microfer-bench too are in
// src/tool/tool.hpp).
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tool.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/train/ferplus.hpp"
#include "microfer/pipeline/pipeline.hpp"

namespace microfer::cli {

/// "a,b,c" -> {"a", "b", "c"} (empty fields kept).
std::vector<std::string> splitList(const std::string& s, char separator = ',');

/// "1,0.5,2" -> {1, 0.5, 2}: one weight per item of a list option (train --weights, average
/// --weights). UsageError naming `option` for a field that is not a finite number >= 0.
std::vector<double> parseWeights(const std::string& text, const std::string& option);

/// Refuses (UsageError) a validation prefix that would reach FER2013's PrivateTest_ files in
/// `dir` (the test part): one that starts with "PrivateTest" or is the start of
/// "PrivateTest_" ("", "P", "Priv", ...), where such files exist.
void refuseTestPrefix(const std::string& dir, const std::string& prefix);

/// Loads "DIR" or "DIR:PART" folders (PART: a person-level split part, which needs
/// base.splitFile) as sources 0, 1, ... of one data set (Sample::source).
Dataset loadSources(const std::vector<std::string>& specs, const FolderOptions& base);

/// --ferplus FILE of train, eval and calibrate: gives `data` the votes read from `file` (as
/// `use` says); UsageError where no image of `data` has votes there.
FerPlusApplied applyFerPlusOption(Dataset& data, const FerPlusTable& votes, FerPlusUse use,
                                  const std::string& file);

/// --shard K/N: item i (0-based, in the sorted input order) belongs to shard K when
/// i % N == K - 1.
struct Shard {
  int index = 1, count = 1;
  bool contains(size_t i) const { return static_cast<int>(i % count) == index - 1; }
};
Shard parseShard(const std::string& text);

/// The paths of a list file (label --files-from), one a line; "-" reads stdin. Empty lines
/// are skipped, a final '\r' is cut. UsageError when the file cannot be read.
std::vector<std::string> readPathList(const std::string& file);

/// Prints "cv_accuracy_mean=... cv_accuracy_std=... folds=K <tag>" (population std) for the
/// per-fold accuracies of a cross-validation.
void printCrossValidationSummary(const std::vector<double>& foldAccuracies, const std::string& tag);

}  // namespace microfer::cli
