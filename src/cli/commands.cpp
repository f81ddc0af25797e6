#include "commands.hpp"

#include "args.hpp"

namespace microfer::cli {

int runCommand(const std::string& command, const std::vector<std::string>& args) {
  if (command == "label") return runLabel(args);
  if (command == "train") return runTrain(args);
  if (command == "eval") return runEval(args);
  if (command == "info") return runInfo(args);
  if (command == "geometry") return runGeometry(args);
  if (command == "export") return runExport(args);
  if (command == "pack") return runPack(args);
  if (command == "crops") return runCrops(args);
  if (command == "calibrate") return runCalibrate(args);
  if (command == "curves") return runCurves(args);
  if (command == "cv") return runCrossValidation(args);
  if (command == "loso") return runLoso(args);
  if (command == "baseline") return runBaseline(args);
  if (command == "bench") return runBench(args);
  if (command == "soak") return runSoak(args);
  throw UsageError("unknown command '" + command + "'");
}

}  // namespace microfer::cli
