// Helpers of the microfer-bench commands (bench, soak, roofline): timing and rounding of
// figures, memory figures, JSON reports and a temporary working folder.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace microfer::cli {

int runBench(const std::vector<std::string>& args);
int runSoak(const std::vector<std::string>& args);
int runRoofline(const std::vector<std::string>& args);

using Clock = std::chrono::steady_clock;
/// Milliseconds from `a` to `b`.
double msBetween(Clock::time_point a, Clock::time_point b);
/// Nearest-rank percentile (q in [0,1]) of unsorted values; 0 for none.
double percentile(std::vector<double> v, double q);
/// Rounded to one or two decimals for printing and JSON (never a negative zero).
double round1(double v);
double round2(double v);

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
