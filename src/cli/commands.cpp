#include "commands.hpp"

#include <cstdio>

#include "tool.hpp"

namespace microfer::cli {
namespace {
/// Says where a command that left the product CLI lives now; exit code 2.
int moved(const std::string& command, const char* program) {
  std::fprintf(stderr, "microfer-cli: '%s' is a command of %s now (see: %s %s --help)\n",
               command.c_str(), program, program, command.c_str());
  return 2;
}

bool isResearchCommand(const std::string& command) {
  for (const char* c : {"train", "cv", "loso", "baseline", "export", "pack", "crops", "calibrate",
                        "average", "curves", "geometry"})
    if (command == c) return true;
  return false;
}
}  // namespace

int runCommand(const std::string& command, const std::vector<std::string>& args) {
  if (command == "label") return runLabel(args);
  if (command == "merge") return runMerge(args);
  if (command == "eval") return runEval(args);
  if (command == "info") return runInfo(args);
  // Moved out of the product CLI: named, not silently unknown.
  if (command == "bench" || command == "soak") return moved(command, "microfer-bench");
  if (isResearchCommand(command)) return moved(command, "microfer-train");
  throw UnknownCommand("unknown command '" + command + "'");
}

}  // namespace microfer::cli
