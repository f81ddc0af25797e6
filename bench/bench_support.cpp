#include "bench_support.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "microfer/runtime/file_io.hpp"

namespace microfer::cli {

namespace {
/// A field of /proc/self/status in MiB (VmRSS, VmHWM); falls back to getrusage's peak.
double procStatusMiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + key.size()) / 1024.0;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // kilobytes on Linux
}
}  // namespace

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * v.size()));
  return v[std::min(v.size() - 1, rank > 0 ? rank - 1 : 0)];
}

double round1(double v) {
  return std::round(v * 10) / 10 + 0.0;  // + 0.0 turns a negative zero into zero
}
double round2(double v) {
  return std::round(v * 100) / 100 + 0.0;
}

double peakRssMiB() {
  return procStatusMiB("VmHWM");
}
double rssMiB() {
  return procStatusMiB("VmRSS");
}

void writeJson(const std::string& path, const nlohmann::json& json) {
  if (path.empty()) return;
  writeFileAtomically(path, json.dump(2) + "\n");
}

TempDir::TempDir(const std::string& tag) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("microfer-" + tag + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
  path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace microfer::cli
