// Process-level runtime settings that must be in place before the libraries start.
#pragma once

namespace microfer {

/// Makes LibTorch's OpenMP worker threads sleep instead of spinning while they wait.
///
/// Why: libgomp's default lets idle workers busy-wait. On a small machine that is doing
/// anything else (a second pipeline thread, the GUI, another program) the spinning workers
/// take the cores from the threads that have work: measured on a loaded 2-core VM, one
/// batch-1 forward pass of the classifier took ~850 ms instead of ~7 ms (docs/PERFORMANCE.md).
/// libgomp reads OMP_WAIT_POLICY only once, when it is loaded, before main() runs, so
/// setting it from inside the program is too late; the program has to start again.
///
/// Does: when OMP_WAIT_POLICY is unset (a value the user chose is always kept) and
/// MICROFER_NO_REEXEC is unset, sets OMP_WAIT_POLICY=PASSIVE and replaces the process with
/// a fresh start of the same executable and arguments (execv of /proc/self/exe). The new
/// process finds the variable set and goes on. Returns normally when there is nothing to do
/// or when the restart is impossible (then the program runs with libgomp's default).
///
/// Requires: called first thing in main(), before any thread is started or file opened
/// that the restart would leak; argv as main() received it (null-terminated). Not for
/// library code: only executables may call it.
void restartWithPassiveOpenMpWait(char** argv);

/// The libraries' own logging: OpenCV's log (its video backends' "[ WARN:0@6.9] ...
/// GStreamer warning" lines around a damaged video, which MicroFER reports once, itself)
/// and FFmpeg's are silenced; with `verbose` they are shown (OpenCV at info level).
/// Call once in main(), before the first video is opened.
void setLibraryLogging(bool verbose);

/// Thread and allocator set-up for inference (label, eval, the app), once at start-up: LibTorch
/// and OpenCV each get `threads` (<= 0: one per logical CPU; they take turns, detection then
/// classification), and glibc keeps freed tensor buffers instead of returning them to the
/// kernel after every pass.
void configureRuntime(int threads);

/// configureRuntime's thread counts without its allocator settings: for a library loaded into
/// another program (the Python module), whose allocator is that program's to set.
void configureThreads(int threads);

/// The same for training: LibTorch gets `threads` (<= 0: one per logical CPU; LibTorch's own
/// default counts physical cores only, 1 on a 2-vCPU VM, where 2 threads train 1.65x faster),
/// OpenCV one thread (its pool would fight LibTorch's OpenMP threads over the batches).
void tuneRuntimeForTorch(int threads);

/// The cores this process may run on: its CPU affinity (taskset, a Slurm task's
/// --cpus-per-task, a container's cpuset), at least 1. The default thread count everywhere.
int usableCores();

/// LibTorch work started from the calling thread runs on that thread alone (the OpenMP thread
/// count is kept per thread; other threads keep theirs): for programs that run one pipeline
/// per core, each on a thread of its own (the Python module's label_many).
void useOneThreadInThisThread();

}  // namespace microfer
