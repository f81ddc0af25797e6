#include "commands.hpp"

#include <cstdio>

#include "tool.hpp"

namespace microfer::cli {

int runCommand(const std::string& command, const std::vector<std::string>& args) {
  if (command == "label") return runLabel(args);
  if (command == "merge") return runMerge(args);
  if (command == "train") return runTrain(args);
  if (command == "eval") return runEval(args);
  if (command == "info") return runInfo(args);
  if (command == "geometry") return runGeometry(args);
  if (command == "export") return runExport(args);
  if (command == "pack") return runPack(args);
  if (command == "crops") return runCrops(args);
  if (command == "calibrate") return runCalibrate(args);
  if (command == "average") return runAverage(args);
  if (command == "curves") return runCurves(args);
  if (command == "cv") return runCrossValidation(args);
  if (command == "loso") return runLoso(args);
  if (command == "baseline") return runBaseline(args);
  if (command == "bench" || command == "soak") {  // moved out of the product CLI
    std::fprintf(stderr, "microfer-cli: '%s' is a command of microfer-bench now (see: "
                 "microfer-bench %s --help)\n", command.c_str(), command.c_str());
    return 2;
  }
  throw UnknownCommand("unknown command '" + command + "'");
}

}  // namespace microfer::cli
