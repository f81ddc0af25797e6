#include "microfer/runtime/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace microfer {

std::string temporaryPathFor(const std::string& path) {
  const std::filesystem::path target(path);
  return (target.parent_path() / (".tmp-" + target.filename().string())).string();
}

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = temporaryPathFor(path);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    throw std::runtime_error("cannot write '" + tmp + "': " + std::strerror(errno));
  errno = 0;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = errno;
  const bool closed = std::fclose(f) == 0;  // the last buffered bytes are written here
  if (!err) err = errno;
  if (!ok || !closed) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write '" + path + "': " +
                             (err ? std::strerror(err) : "write failed") + " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  }
}

}  // namespace microfer
