#include "common.hpp"

#include "microfer/runtime/file_io.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace microfer::cli {

Shard parseShard(const std::string& text) {
  Shard s;
  if (text.empty()) return s;
  int k = 0, n = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n)
    throw UsageError("--shard expects K/N with 1 <= K <= N, got '" + text + "'");
  s.index = k;
  s.count = n;
  return s;
}

std::vector<std::string> readPathList(const std::string& file) {
  std::ifstream f;
  if (file != "-") {
    f.open(file);
    if (!f) throw UsageError("--files-from: cannot read '" + file + "'");
  }
  std::istream& in = file == "-" ? std::cin : f;
  std::vector<std::string> paths;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) paths.push_back(line);
  }
  return paths;
}

void printCrossValidationSummary(const std::vector<double>& acc, const std::string& tag) {
  double mean = 0, var = 0;
  for (double v : acc) mean += v / acc.size();
  for (double v : acc) var += (v - mean) * (v - mean) / acc.size();
  std::printf("cv_accuracy_mean=%.4f cv_accuracy_std=%.4f folds=%zu %s\n", mean, std::sqrt(var),
              acc.size(), tag.c_str());
}

std::vector<std::string> splitList(const std::string& s, char separator) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t c = s.find(separator, pos);
    out.push_back(s.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

std::vector<double> parseWeights(const std::string& text, const std::string& option) {
  std::vector<double> out;
  for (const auto& w : splitList(text)) {
    double v = 0;
    size_t used = 0;
    try {
      v = std::stod(w, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != w.size())
      throw UsageError(option + " expects numbers, got '" + w + "'");
    if (!(v >= 0 && std::isfinite(v)))
      throw UsageError(option + " must be finite and not negative");
    out.push_back(v);
  }
  return out;
}

/// A validation folder that holds FER2013's PrivateTest_ files may only be read through a
/// prefix that excludes them: model selection never sees the test part.
void refuseTestPrefix(const std::string& dir, const std::string& prefix) {
  // A prefix reaches PrivateTest_ files when it starts with "PrivateTest" or is itself the
  // start of "PrivateTest_" ("", "P", "Priv", ...).
  if (prefix.rfind("PrivateTest", 0) != 0 && std::string("PrivateTest_").rfind(prefix, 0) != 0)
    return;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("PrivateTest_", 0) == 0)
      throw UsageError("--val-prefix '" + prefix + "' would validate on FER2013's PrivateTest_ " +
                       "files in '" + dir + "', the test part; use PublicTest_");
}

FerPlusApplied applyFerPlusOption(Dataset& data, const FerPlusTable& votes, FerPlusUse use,
                                  const std::string& file) {
  const FerPlusApplied r = applyFerPlusVotes(data, votes, use);
  if (r.matched == 0) throw UsageError("--ferplus: no image has votes in '" + file + "'");
  return r;
}

/// Loads "DIR" or "DIR:PART" folders as sources 0, 1, ... of one data set.
Dataset loadSources(const std::vector<std::string>& specs, const FolderOptions& base) {
  Dataset all;
  for (size_t i = 0; i < specs.size(); ++i) {
    FolderOptions o = base;
    std::string dir = specs[i];
    const auto colon = dir.rfind(':');
    if (colon != std::string::npos) {
      o.splitPart = dir.substr(colon + 1);
      dir.resize(colon);
      o.filePrefix.clear();
      if (o.splitFile.empty()) throw UsageError("'" + specs[i] + "' needs --split-list FILE");
    }
    Dataset d = loadImageFolder(dir, o);
    for (auto& smp : d.samples) smp.source = static_cast<int>(i);
    if (all.classNames.empty()) all.classNames = d.classNames;
    std::move(d.samples.begin(), d.samples.end(), std::back_inserter(all.samples));
    spdlog::info("source {}: {} ({} images)", i, specs[i],
                 std::count_if(all.samples.begin(), all.samples.end(),
                               [&](const Sample& s) { return s.source == int(i); }));
  }
  return all;
}

}  // namespace microfer::cli
