// The few core facts the GUI needs that live in torch-including headers. The matching
// .cpp is the only GUI translation unit that sees LibTorch; it includes no Qt header, so
// torch's `slots` identifier never meets Qt's macros.
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
