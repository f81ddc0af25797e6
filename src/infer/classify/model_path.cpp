#include "microfer/classify/model_path.hpp"

#include <cstdlib>
#include <filesystem>

namespace microfer {
namespace fs = std::filesystem;

std::string defaultModelPath() {
  const char* env = std::getenv("MICROFER_MODEL");
  if (env && *env) return env;
  const char* name = "microfer-resnet10.mfm";
  std::error_code ec;
  // Relative to the executable too, so a relocated install (e.g. the .deb in /usr) works.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path besideExe =
      ec ? fs::path() : exe.parent_path() / ".." / "share" / "microfer" / "models";
  for (const fs::path& dir : {fs::path(MICROFER_SOURCE_DIR) / "models",
                              fs::path(MICROFER_DATA_DIR) / "models", besideExe}) {
    if (dir.empty()) continue;
    if (fs::exists(dir / name, ec)) return (dir / name).string();
  }
  return "";
}

}  // namespace microfer
