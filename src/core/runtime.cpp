#include "microfer/runtime.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace microfer {

void restartWithPassiveOpenMpWait(char** argv) {
  if (argv == nullptr || argv[0] == nullptr) return;
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("MICROFER_NO_REEXEC") != nullptr)
    return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  std::fflush(nullptr);
  execv("/proc/self/exe", argv);
  // Only reached when exec failed (no /proc, say): carry on as we are. The variable stays
  // set, which is harmless: libgomp has already read its settings.
}

}  // namespace microfer
