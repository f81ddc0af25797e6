// Writing whole files so that a reader never sees half of one.
#pragma once

#include <string>

namespace microfer {

/// A temporary name for `path` while it is being written: ".tmp-<pid>-<n>-<name>" in the same
/// folder (same file system, so the rename is atomic; same extension, so writers that pick a
/// format from it, e.g. cv::VideoWriter, still do), unique to this process and call, so that
/// two processes writing one file never share a temporary file.
std::string temporaryPathFor(const std::string& path);

/// Writes `bytes` to `path` through a new temporary file beside it (temporaryPathFor) that is
/// flushed to disk (fsync) and then renamed over `path`, after which the folder is flushed
/// too: `path` holds the old content or the new, never a part, also after a crash, a SIGKILL
/// or a power cut. Throws std::runtime_error naming the file (and "disk full?" for a failed
/// write); the temporary file is removed on failure. A writer killed mid-write leaves its
/// temporary file behind (".tmp-*"), never a torn `path`.
void writeFileAtomically(const std::string& path, const std::string& bytes);

/// Flushes a file written by other means (cv::VideoWriter) to disk before it is renamed.
void syncFile(const std::string& path);

/// Flushes the folder of `path` to disk (fsync), so that a rename or a new file in it
/// survives a power cut; where the file system refuses, nothing happens.
void syncFolderOf(const std::string& path);

}  // namespace microfer
