// Writing whole files so that a reader never sees half of one.
#pragma once

#include <string>

namespace microfer {

/// The temporary name of `path` while it is being written: ".tmp-<name>" in the same folder
/// (same file system, so the rename is atomic; same extension, so writers that pick a format
/// from it, e.g. cv::VideoWriter, still do).
std::string temporaryPathFor(const std::string& path);

/// Writes `bytes` to `path` through a temporary file beside it (".tmp-<name>") that is
/// renamed over `path` once every byte is written: `path` holds the old content or the new,
/// never a part. Throws std::runtime_error naming the file (and "disk full?" for a failed
/// write); the temporary file is removed on failure.
void writeFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace microfer
