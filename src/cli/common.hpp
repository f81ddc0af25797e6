// Options shared by several microfer-cli commands.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "args.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/pipeline/pipeline.hpp"

namespace microfer {
struct TrainConfig;
}

namespace microfer::cli {

/// --detector, --tta, --model, --min-face, --threads, --attention, --max-faces,
/// --detect-every, --min-confidence.
PipelineConfig pipelineConfigFromArgs(const Args& a);

/// "a,b,c" -> {"a", "b", "c"} (empty fields kept).
std::vector<std::string> splitList(const std::string& s);

/// Refuses (UsageError) a validation prefix that would reach FER2013's PrivateTest_ files in
/// `dir` (the test part): one that starts with "PrivateTest" or is the start of
/// "PrivateTest_" ("", "P", "Priv", ...), where such files exist.
void refuseTestPrefix(const std::string& dir, const std::string& prefix);

/// Loads "DIR" or "DIR:PART" folders (PART: a person-level split part, which needs
/// base.splitFile) as sources 0, 1, ... of one data set (Sample::source).
Dataset loadSources(const std::vector<std::string>& specs, const FolderOptions& base);

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

/// Resident memory of this process (VmRSS) and its peak (VmHWM) in MiB, from
/// /proc/self/status; where that is missing, both give getrusage's peak.
double rssMiB();
double peakRssMiB();

/// Writes `json` to `path` (a temporary name renamed into place); nothing for an empty path.
void writeJson(const std::string& path, const nlohmann::json& json);

/// A fresh folder under the system's temporary folder (microfer-TAG-XXXXXX), removed with
/// everything in it when the object goes.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// "i/N, rate, ETA" on one line of stderr, redrawn at most 4 times a second, while a long
/// run goes on; only when stderr is a terminal (never in a pipe, a log file or a test) and not
/// with --quiet. The line is cleared when the object goes, so results printed after it (or
/// between, through clearLine()) are never mixed with it.
class Progress {
 public:
  Progress(std::string what, size_t total, bool enabled = true);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// `done` of the total are finished.
  void update(size_t done);
  /// Erases the progress line (before printing something to the terminal).
  void clearLine();

 private:
  std::string what_;
  size_t total_;
  bool enabled_, shown_ = false;
  double startSeconds_, lastDrawSeconds_ = -1;
};

/// The training of one cross-validation fold (cv, loso) from --width --epochs (30) --batch (32)
/// --lr (0.01, or 0.003 with --init) --seed (1) --init. With --init, the architecture is the init
/// model's, and its classifier layer is replaced when its classes differ from `classNames`.
/// Defined in cmd_cv.cpp (which includes LibTorch; this header does not).
TrainConfig foldTrainConfig(const Args& a, const std::vector<std::string>& classNames);

}  // namespace microfer::cli
