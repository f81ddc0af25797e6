#include "core_bridge.hpp"

#include <filesystem>
#include <system_error>

#include "microfer/classify/model_info.hpp"
#include "microfer/classify/model_path.hpp"

namespace microfer::gui {

std::string installedModelPath() {
  return microfer::defaultModelPath();
}

ModelSummary summariseModel(const std::string& path) {
  constexpr std::uintmax_t kLargestRead = 256u << 20;
  std::error_code error;
  const std::uintmax_t bytes = std::filesystem::file_size(path, error);
  if (path.empty() || error || bytes > kLargestRead) return {};
  try {
    const ModelInfo info = readModelInfo(path);
    return {info.name, info.notes.substr(0, info.notes.find('\n'))};
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace microfer::gui
