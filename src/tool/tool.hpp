// What microfer-cli, microfer-train and microfer-bench share: the process set-up and exit
// codes of a command-line tool, the one description of the pipeline options (parser, --help
// and PipelineConfig from the same table), the progress line and the version text. Library
// microfer_tool, on microfer_infer only.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "args.hpp"
#include "microfer/pipeline/pipeline.hpp"

namespace microfer::cli {

/// The pipeline options a command takes, by name: "detector", "tta", "model", "min-face",
/// "mtcnn-thresholds", "yunet-thresholds", "detect-every", "min-confidence", "attention",
/// "max-faces",
/// "threads". Each has one description (value, help text, default from the core's
/// PipelineConfig) that every command's parser and --help use.
class PipelineOptions {
 public:
  /// Throws std::logic_error for a name that is not a pipeline option.
  explicit PipelineOptions(std::vector<std::string> names);
  /// All of them (label).
  static PipelineOptions all();
  /// The command line with these options plus the command's own `flags` and `options`.
  Args parse(const std::vector<std::string>& argv, std::set<std::string> flags,
             std::set<std::string> options) const;
  /// Their help lines, in the table's order ("  --detector auto|haar|mtcnn\n   ...").
  std::string help() const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

/// The PipelineConfig of the pipeline options given (unset ones keep the core's defaults);
/// checked with validate(). Throws UsageError.
PipelineConfig pipelineConfigFromArgs(const Args& a);

/// "  --name VALUE           text" with the text wrapped at 80 columns and aligned at
/// column 25 (the help layout of every command).
std::string helpLine(const std::string& option, const std::string& text);

/// "<program> 0.1.0 (MicroFER)", the installed model (name, file, size, FNV-1a 64 checksum)
/// and the LibTorch and OpenCV versions.
std::string versionText(const std::string& program);

/// A tool with sub-commands ("microfer-cli label ...").
struct Tool {
  const char* program;      ///< "microfer-cli"
  /// Printed by --help / -h, and (exit 2) without arguments when there is no default command.
  const char* help;
  /// Run when the first argument is an option or there is none (empty: none).
  const char* defaultCommand;
  /// Runs one sub-command; returns the exit code. Throws UnknownCommand for a word that is no
  /// command, UsageError for bad arguments and std::exception for set-up errors.
  int (*run)(const std::string& command, const std::vector<std::string>& args);
};

/// main() of a tool: OpenMP's passive wait (re-exec, runtime.hpp), logs on stderr (warnings;
/// --verbose: debug, the libraries' logs too), --version, --help; exit codes 2 for a usage
/// error and 3 for a set-up error, with the command's name in the message.
int toolMain(int argc, char** argv, const Tool& tool);

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

}  // namespace microfer::cli
