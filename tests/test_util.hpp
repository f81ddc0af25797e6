// Helpers shared by the tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "microfer/train/augment_config.hpp"

namespace microfer::test {

/// Augmentation settings that change nothing (identity warp, no flip, no brightness or
/// contrast change, no erasing).
inline AugmentConfig noAugmentation() {
  AugmentConfig none;
  none.maxRotationDeg = 0;
  none.minScale = none.maxScale = 1;
  none.maxShift = 0;
  none.flip = false;
  none.brightness = none.contrast = 0;
  none.eraseProbability = 0;
  return none;
}

/// ../shared next to the checkout (read-only research data and third-party weights).
inline std::string sharedDir() {
  return MICROFER_SHARED_DIR;
}
inline std::string sourceDir() {
  return MICROFER_SOURCE_DIR;
}
inline bool haveShared(const std::string& sub) {
  return std::filesystem::exists(std::filesystem::path(sharedDir()) / sub);
}
/// A fresh empty temporary folder, unique per test.
inline std::filesystem::path tempDir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto p = std::filesystem::temp_directory_path() /
           ("microfer-test-" + tag + "-" + std::string(info ? info->name() : "x") + "-" +
            std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

/// Writes a small untrained model (for plumbing tests, not accuracy) into `dir`; returns
/// its path. Defined in test_support.cpp.
std::string writeRandomModel(const std::filesystem::path& dir, int width = 8);

/// The whole file as bytes (empty if it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// The file's non-empty lines.
inline std::vector<std::string> lines(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::ifstream f(p);
  for (std::string l; std::getline(f, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

/// Every run a results folder records: the "runs" entries of its run records
/// (runs/*.json, one file per writer), in the order of the files' names (their start times).
inline nlohmann::json runRecords(const std::filesystem::path& outDir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(outDir / "runs", ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : files) {
    const nlohmann::json doc = nlohmann::json::parse(slurp(f));
    for (const auto& r : doc.at("runs")) all.push_back(r);
  }
  return all;
}

}  // namespace microfer::test

#define MICROFER_REQUIRE_SHARED(sub)                                   \
  do {                                                                 \
    if (!microfer::test::haveShared(sub))                              \
      GTEST_SKIP() << "needs ../shared/" << (sub) << " (not found at " \
                   << microfer::test::sharedDir() << ")";              \
  } while (0)
