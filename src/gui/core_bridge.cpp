#include "core_bridge.hpp"

#include "microfer/classify/model_path.hpp"

namespace microfer::gui {

std::string installedModelPath() {
  return microfer::defaultModelPath();
}

}  // namespace microfer::gui
