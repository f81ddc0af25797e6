#pragma once

#include <string>
#include <vector>

namespace microfer::cli {

/// Runs one sub-command; returns the process exit code. Throws UsageError for bad
/// arguments and std::exception for set-up errors (main maps them to 2 and 3).
int runCommand(const std::string& command, const std::vector<std::string>& args);

int runTrain(const std::vector<std::string>& args);
int runEval(const std::vector<std::string>& args);
int runLabel(const std::vector<std::string>& args);
int runMerge(const std::vector<std::string>& args);
int runCrossValidation(const std::vector<std::string>& args);
int runLoso(const std::vector<std::string>& args);
int runBaseline(const std::vector<std::string>& args);
int runInfo(const std::vector<std::string>& args);
int runGeometry(const std::vector<std::string>& args);
int runExport(const std::vector<std::string>& args);
int runPack(const std::vector<std::string>& args);
int runCrops(const std::vector<std::string>& args);
int runCalibrate(const std::vector<std::string>& args);
int runAverage(const std::vector<std::string>& args);
int runCurves(const std::vector<std::string>& args);

}  // namespace microfer::cli
