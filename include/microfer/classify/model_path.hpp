// Where the shipped model is found. Torch-free on purpose: front ends that must not see
// LibTorch (the desktop app outside core_bridge) include this, not model_file.hpp.
#pragma once

#include <string>

namespace microfer {

/// The default model shipped with MicroFER, searched in order: $MICROFER_MODEL, the
/// source tree's models/, the installed data dir, <executable>/../share/microfer/models.
/// Returns "" if none exists.
std::string defaultModelPath();

}  // namespace microfer
