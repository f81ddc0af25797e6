// microfer-cli: label images, folders and videos; join sharded results; evaluate a model on
// one's own labelled crops. Research commands are in microfer-train (src/lab).
#include <string>
#include <vector>

#include "commands.hpp"
#include "tool.hpp"

namespace {
const char* kHelp = R"(microfer-cli — facial-expression recognition (MicroFER)

Usage: microfer-cli COMMAND [options]

Commands:
  label PATH...   detect, align and classify every face; write labelled images,
                  results.csv and results.jsonl (see: microfer-cli label --help)
  merge OUT DIR...  join the results folders of a job's parts (label --shard,
                    a Slurm array, GNU parallel) into one
  eval            accuracy of a model on a labelled folder of face crops
  info            show the installed model and detectors

Common options: --verbose (detailed log), --help / -h (every command), --version
Training, cross-validation, baselines, export and calibration are in microfer-train.
Speed and endurance runs (bench, soak) are in microfer-bench.
Exit codes: 0 all fine, 1 some inputs failed, 2 usage error, 3 model or set-up error.
)";

int run(const std::string& command, const std::vector<std::string>& args) {
  return microfer::cli::runCommand(command, args);
}
}  // namespace

int main(int argc, char** argv) {
  return microfer::cli::toolMain(argc, argv, {"microfer-cli", kHelp, "", run});
}
