#include "microfer/runtime/runtime.hpp"

#include <sched.h>
#include <unistd.h>

#include <ATen/Parallel.h>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <thread>

#include <cstdio>
#include <cstdlib>

namespace microfer {

void restartWithPassiveOpenMpWait(char** argv) {
  if (argv == nullptr || argv[0] == nullptr) return;
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("MICROFER_NO_REEXEC") != nullptr)
    return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  std::fflush(nullptr);
  // Exec the executable's real path, not /proc/self/exe: the kernel names a process after
  // the file it executes, so this keeps "microfer" / "microfer-cli" in ps, top and pgrep
  // (through /proc/self/exe it would be "exe").
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0 && n < static_cast<ssize_t>(sizeof self) - 1) {  // not cut short
    self[n] = '\0';
    execv(self, argv);
  }
  execv("/proc/self/exe", argv);
  // Only reached when exec failed (no /proc, say): carry on as we are. The variable stays
  // set, which is harmless: libgomp has already read its settings.
}

int usableCores() {
  // The affinity, not every core of the machine, so that processes sharing a node do not
  // each start a thread per core.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {
int threadsOrCores(int threads) { return threads > 0 ? threads : usableCores(); }
}  // namespace

void useOneThreadInThisThread() {
  // at::get_num_threads first: it gives a thread new to LibTorch its thread count, which would
  // otherwise undo the 1 set here later (see SingleThreadScope in expression_classifier.cpp).
  (void)at::get_num_threads();
  omp_set_num_threads(1);
}

namespace {
// glibc keeps freed tensor buffers instead of returning them to the kernel after every pass.
void keepFreedBuffers() {
  mallopt(M_MMAP_THRESHOLD, 1000000000);
  mallopt(M_TRIM_THRESHOLD, 1000000000);
}
}  // namespace

void tuneRuntimeForTorch(int threads) {
  keepFreedBuffers();
  at::set_num_threads(threadsOrCores(threads));
  cv::setNumThreads(1);
}

void configureRuntime(int threads) {
  keepFreedBuffers();
  configureThreads(threads);
}

void configureThreads(int threads) {
  at::set_num_threads(threadsOrCores(threads));
  // Detection (OpenCV) and classification (LibTorch) run one after the other, so both may use
  // every core: with LibTorch's OpenMP threads waiting passively they take turns instead of
  // fighting. Measured on 2 cores: Haar detection 62 -> 33 ms, MTCNN 17.6 -> 14.3 ms per
  // 640x480 frame (microfer-bench, 1 vs 2 OpenCV threads).
  cv::setNumThreads(threadsOrCores(threads));
}

void setLibraryLogging(bool verbose) {
  cv::utils::logging::setLogLevel(verbose ? cv::utils::logging::LOG_LEVEL_INFO
                                          : cv::utils::logging::LOG_LEVEL_SILENT);
  // OpenCV's FFmpeg backend reads this when it first loads; a value the user set is kept.
  setenv("OPENCV_FFMPEG_LOGLEVEL", verbose ? "32" : "-8", 0);  // AV_LOG_INFO / AV_LOG_QUIET
}

}  // namespace microfer
