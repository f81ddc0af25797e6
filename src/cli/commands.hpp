#pragma once

#include <string>
#include <vector>

namespace microfer::cli {

/// Runs one sub-command; returns the process exit code. Throws UsageError for bad
/// arguments and std::exception for set-up errors (main maps them to 2 and 3).
int runCommand(const std::string& command, const std::vector<std::string>& args);

int runEval(const std::vector<std::string>& args);
int runLabel(const std::vector<std::string>& args);
int runMerge(const std::vector<std::string>& args);
int runInfo(const std::vector<std::string>& args);

}  // namespace microfer::cli
