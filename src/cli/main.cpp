// microfer-cli: label images, folders and videos; train; evaluate; benchmark.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "microfer/runtime/runtime.hpp"

namespace {
const char* kHelp = R"(microfer-cli — facial-expression recognition (MicroFER)

Usage: microfer-cli COMMAND [options]

Commands:
  label PATH...   detect, align and classify every face; write labelled images,
                  results.csv and results.jsonl (see: microfer-cli label --help)
  train           train the micro-attention network (see: microfer-cli train --help)
  eval            accuracy of a model on a labelled folder of face crops
  cv              subject-independent k-fold cross-validation (CK+)
  loso            leave-one-subject-out on micro-expressions (CASME II layout)
  baseline        LBP / Gabor + SVM baselines
  bench           per-stage timings of the pipeline (see: microfer-cli bench --help)
  soak            long run: memory stays flat, every input is in the results
  info            show the installed model and detectors
  export          ship a trained model (.mfm) or device-trained weights (.mfw)
  pack            pack labelled crops into one file for microfer-train-device
  crops           cut training crops out of a photo set with the detector + aligner (cached)
  calibrate       fit the temperature and the "uncertain" threshold on validation data
  curves          plot a training run's metrics.csv

Common options: --verbose (detailed log), --help / -h (every command), --version
Exit codes: 0 all fine, 1 some inputs failed, 2 usage error, 3 model or set-up error.
)";
}  // namespace

int main(int argc, char** argv) {
  // Before anything else: LibTorch's OpenMP threads must not spin (see runtime.hpp).
  microfer::restartWithPassiveOpenMpWait(argv);
  // Logs go to stderr: stdout carries results only (and stays parseable when piped).
  spdlog::set_default_logger(spdlog::stderr_color_mt("microfer"));
  spdlog::set_level(spdlog::level::warn);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
    std::fputs(microfer::cli::versionText().c_str(), stdout);
    return 0;
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kHelp, stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  bool verbose = false;
  for (const auto& a : args) verbose = verbose || a == "--verbose" || a == "-v";
  if (verbose) spdlog::set_level(spdlog::level::debug);
  microfer::setLibraryLogging(verbose);
  try {
    return microfer::cli::runCommand(cmd, args);
  } catch (const microfer::cli::UsageError& e) {
    std::fprintf(stderr, "microfer-cli %s: %s (try: microfer-cli %s --help)\n", cmd.c_str(),
                 e.what(), cmd.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "microfer-cli %s: error: %s\n", cmd.c_str(), e.what());
    return 3;
  }
}
