// Helpers of the microfer-bench commands (bench, soak, roofline): memory figures, JSON reports and a
// temporary working folder.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace microfer::cli {

int runBench(const std::vector<std::string>& args);
int runSoak(const std::vector<std::string>& args);
int runRoofline(const std::vector<std::string>& args);

/// Resident memory of this process (VmRSS) and its peak (VmHWM) in MiB, from
/// /proc/self/status; where that is missing, both give getrusage's peak.
double rssMiB();
double peakRssMiB();

/// Writes `json` to `path` (a temporary name renamed into place); nothing for an empty path.
void writeJson(const std::string& path, const nlohmann::json& json);

/// A fresh folder under the system's temporary folder (microfer-TAG-XXXXXX), removed with
/// everything in it when the object goes.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace microfer::cli
