// microfer-cli: label images, folders and videos; train; evaluate; benchmark.
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
  train           train the micro-attention network (see: microfer-cli train --help)
  eval            accuracy of a model on a labelled folder of face crops
  cv              subject-independent k-fold cross-validation (CK+)
  loso            leave-one-subject-out on micro-expressions (CASME II layout)
  baseline        LBP / Gabor + SVM baselines
  info            show the installed model and detectors
  export          ship a trained model (.mfm) or device-trained weights (.mfw)
  pack            pack labelled crops into one file for microfer-train-device
  crops           cut training crops out of a photo set with the detector + aligner (cached)
  calibrate       fit the temperature and the "uncertain" threshold on validation data
  average         one model whose weights are a weighted mean of several (one lineage)
  curves          plot a training run's metrics.csv

Common options: --verbose (detailed log), --help / -h (every command), --version
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
