#include "microfer/runtime/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace microfer {

std::string temporaryPathFor(const std::string& path) {
  // Unique to this process and call: two writers of one file (two shards, the app and the
  // CLI) never write into each other's temporary file.
  static std::atomic<unsigned long> counter{0};
  const std::filesystem::path target(path);
  return (target.parent_path() / (".tmp-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(counter++) + "-" + target.filename().string()))
      .string();
}

void syncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void syncFolderOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // nothing to sync through (the rename itself succeeded)
  ::fsync(fd);          // some file systems refuse fsync on a folder: the rename stands
  ::close(fd);
}

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = temporaryPathFor(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write '" + tmp + "': " + std::strerror(errno));
  int err = 0;
  for (size_t done = 0; done < bytes.size() && !err;) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0)
      done += size_t(n);
    else if (n < 0 && errno != EINTR)
      err = errno;
    else if (n == 0)
      err = EIO;
  }
  // The bytes reach the disk before the name does: after a crash or power cut the file holds
  // the old content or the new one, never the new name over missing data.
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (err) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(err) +
                             " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  }
  syncFolderOf(path);  // and the rename itself is on disk
}

}  // namespace microfer
