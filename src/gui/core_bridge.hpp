// The few core facts the GUI needs about model files, in std types. The matching .cpp
// includes no Qt header, so the core's headers never meet Qt's macros; neither reaches
// LibTorch (scripts/check-layers.py checks every GUI source).
#pragma once

#include <string>

namespace microfer::gui {

/// microfer::defaultModelPath(): the installed model file, or "" when there is none.
std::string installedModelPath();

/// What a model file says of itself (microfer::readModelInfo): its name and the first line
/// of its notes. Both empty for a file that is not a readable model, or one larger than
/// 256 MiB (it is read whole to verify its checksum; the shipped ones are 6 MB): loading such
/// a file is refused with the reason later.
struct ModelSummary {
  std::string name;
  std::string notes;
};
ModelSummary summariseModel(const std::string& path);

}  // namespace microfer::gui
