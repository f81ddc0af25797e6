// The few core facts the GUI needs that live in torch-including headers. The matching
// .cpp is the only GUI translation unit that sees LibTorch; it includes no Qt header, so
// torch's `slots` identifier never meets Qt's macros.
#pragma once

#include <string>

namespace microfer::gui {

/// microfer::defaultModelPath(): the installed model file, or "" when there is none.
std::string installedModelPath();

}  // namespace microfer::gui
