// Helpers shared by the fuzz targets.
#pragma once

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <opencv2/core/utils/logger.hpp>
#include <stdexcept>
#include <string>

namespace microfer::fuzz {

/// A folder of this process for the files a target writes per input. On tmpfs (/dev/shm)
/// where there is one: the targets write a file for every input. libFuzzer ends with _Exit()
/// (no atexit handlers), so each start removes the folders of processes that are gone.
inline const std::filesystem::path& scratchDir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path base =
        fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    const std::string prefix = "microfer-fuzz-";
    for (const auto& e : fs::directory_iterator(base, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) == 0 && !fs::exists("/proc/" + name.substr(prefix.size()), ec))
        fs::remove_all(e.path(), ec);
    }
    const fs::path d = base / (prefix + std::to_string(::getpid()));
    fs::remove_all(d, ec);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

/// Writes `size` bytes to `path`, replacing it.
inline void writeBytes(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) throw std::runtime_error("fuzz: cannot write '" + path.string() + "'");
}

/// The library and OpenCV's decoders log warnings about bad inputs; at thousands of inputs a
/// second they would drown libFuzzer's own output.
inline void quietLogs() {
  spdlog::set_level(spdlog::level::off);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

}  // namespace microfer::fuzz
