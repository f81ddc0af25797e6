// microfer-train: the research tool (training, cross-validation, baselines, model export and
// calibration), out of the product CLI (microfer-cli); same options and outputs.
#include <string>
#include <vector>

#include "commands.hpp"
#include "tool.hpp"

namespace {
const char* kHelp = R"(microfer-train — train and study MicroFER's models (research tool)

Usage: microfer-train COMMAND [options]

Commands:
  train           train the micro-attention network (see: microfer-train train --help)
  cv              subject-independent k-fold cross-validation (CK+)
  loso            leave-one-subject-out on micro-expressions (CASME II layout)
  baseline        LBP / Gabor + SVM baselines
  export          ship a trained model (.mfm) or device-trained weights (.mfw)
  pack            pack labelled crops into one file for microfer-train-device
  crops           cut training crops out of a photo set with the detector + aligner (cached)
  calibrate       fit the temperature and the "uncertain" threshold on validation data
  average         one model whose weights are a weighted mean of several (one lineage)
  curves          plot a training run's metrics.csv
  geometry        where the detector puts the eyes and the box on training crops

Common options: --verbose (detailed log), --help / -h (every command), --version
Labelling, merging and evaluating a model (label, merge, eval, info) are in microfer-cli.
Exit codes: 0 all fine, 1 some inputs failed, 2 usage error, 3 model or set-up error.
)";

int run(const std::string& command, const std::vector<std::string>& args) {
  using namespace microfer::cli;
  if (command == "train") return runTrain(args);
  if (command == "cv") return runCrossValidation(args);
  if (command == "loso") return runLoso(args);
  if (command == "baseline") return runBaseline(args);
  if (command == "export") return runExport(args);
  if (command == "pack") return runPack(args);
  if (command == "crops") return runCrops(args);
  if (command == "calibrate") return runCalibrate(args);
  if (command == "average") return runAverage(args);
  if (command == "curves") return runCurves(args);
  if (command == "geometry") return runGeometry(args);
  throw UnknownCommand("unknown command '" + command + "'");
}
}  // namespace

int main(int argc, char** argv) {
  return microfer::cli::toolMain(argc, argv, {"microfer-train", kHelp, "", run});
}
