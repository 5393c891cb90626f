#include "sync/file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "transfer/dest_dir.h"

namespace gwsync::sync {

using transfer::ErrnoStatus;

StatusOr<std::shared_ptr<transfer::Fd>> FileSystem::Open(const std::string& path, int flags) {
  auto fd = std::make_shared<transfer::Fd>(open(path.c_str(), flags | O_CLOEXEC));
  if (fd->get() < 0) return ErrnoStatus("cannot read '" + path + "'", errno);
  return fd;
}

Status FileSystem::Fstat(int fd, const std::string& path, struct stat* st) {
  if (fstat(fd, st) != 0) return ErrnoStatus("cannot read '" + path + "'", errno);
  return Status::Ok();
}

StatusOr<size_t> FileSystem::Pread(int fd, const std::string& path, std::span<char> buf,
                                   uint64_t offset) {
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read '" + path + "'", errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

Status FileSystem::Stat(const std::string& path, struct stat* st) {
  if (stat(path.c_str(), st) != 0) return ErrnoStatus("cannot read '" + path + "'", errno);
  return Status::Ok();
}

Status FileSystem::Fchown(int fd, const std::string& path, uid_t uid, gid_t gid) {
  if (fchown(fd, uid, gid) != 0) {
    return ErrnoStatus("cannot set the owner of '" + path + "' to " + std::to_string(uid) + ":" +
                           std::to_string(gid),
                       errno);
  }
  return Status::Ok();
}

Status FileSystem::Fchmod(int fd, const std::string& path, mode_t mode) {
  if (fchmod(fd, mode) != 0) return ErrnoStatus("cannot set the mode of '" + path + "'", errno);
  return Status::Ok();
}

Status FileSystem::Futimens(int fd, const std::string& path, const struct timespec times[2]) {
  if (futimens(fd, times) != 0) {
    return ErrnoStatus("cannot set the modification time of '" + path + "'", errno);
  }
  return Status::Ok();
}

Status FileSystem::Commit(transfer::TempFile& temp) { return temp.Commit(); }

Status FileSystem::Remove(const std::string& root, std::string_view key) {
  return transfer::RemoveDestFile(root, key);
}

FileSystem* FileSystem::Default() {
  static FileSystem* fs = new FileSystem();
  return fs;
}

}  // namespace gwsync::sync
