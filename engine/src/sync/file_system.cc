#include "sync/file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "fileio/beneath.h"
#include "fileio/dest_dir.h"

namespace gwsync::sync {

namespace {

Status ReadError(const std::string& path, int err) {
  if (err == ELOOP || err == EXDEV) {
    return Status(StatusCode::kFailedPrecondition,
                  "'" + path + "': a symbolic link on its way, not read through it");
  }
  return fileio::ErrnoStatus("cannot read '" + path + "'", err);
}

// `key` beneath the root, with or without following links.
int OpenUnder(const LocalRoot& root, std::string_view key, int flags) {
  if (root.follow_links) {
    return openat(root.fd->get(), key.empty() ? "." : std::string(key).c_str(), flags | O_CLOEXEC);
  }
  return fileio::OpenBeneath(root.fd->get(), key, flags);
}

}  // namespace

std::string LocalRoot::PathOf(std::string_view key) const {
  if (path.empty() || path.back() == '/') return path + std::string(key);
  return path + "/" + std::string(key);
}

StatusOr<LocalRoot> FileSystem::OpenRoot(const std::string& path, bool follow_links) {
  LocalRoot root;
  root.path = path;
  root.follow_links = follow_links;
  root.fd = std::make_shared<fileio::Fd>(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.fd->get() < 0) return fileio::ErrnoStatus("cannot open folder '" + path + "'", errno);
  return root;
}

StatusOr<std::shared_ptr<fileio::Fd>> FileSystem::Open(const LocalRoot& root,
                                                       std::string_view key) {
  // O_NONBLOCK: a FIFO put in the file's place opens at once (and is then
  // refused by its type) instead of waiting for a writer for ever.
  auto fd = std::make_shared<fileio::Fd>(OpenUnder(root, key, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (fd->get() < 0) return ReadError(root.PathOf(key), errno);
  return fd;
}

Status FileSystem::Fstat(int fd, const std::string& path, struct stat* st) {
  if (fstat(fd, st) != 0) return fileio::ErrnoStatus("cannot read '" + path + "'", errno);
  return Status::Ok();
}

StatusOr<size_t> FileSystem::Pread(int fd, const std::string& path, std::span<char> buf,
                                   uint64_t offset) {
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fileio::ErrnoStatus("cannot read '" + path + "'", errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

// Only compared with what was read (through a descriptor opened beneath
// the root), never used to read: a link on the way makes it differ, which
// is all it must tell.
Status FileSystem::Stat(const LocalRoot& root, std::string_view key, struct stat* st) {
  if (fstatat(root.fd->get(), std::string(key).c_str(), st,
              root.follow_links ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
    return fileio::ErrnoStatus("cannot read '" + root.PathOf(key) + "'", errno);
  }
  return Status::Ok();
}

StatusOr<std::string> FileSystem::ReadLink(const LocalRoot& root, std::string_view key,
                                           struct stat* st) {
  const std::string path = root.PathOf(key);
  size_t slash = key.rfind('/');
  std::string name(slash == std::string_view::npos ? key : key.substr(slash + 1));
  fileio::Fd parent(OpenUnder(root, slash == std::string_view::npos ? "" : key.substr(0, slash),
                              O_PATH | O_DIRECTORY));
  if (parent.get() < 0) return ReadError(path, errno);
  std::string target(4096, '\0');
  ssize_t n = readlinkat(parent.get(), name.c_str(), target.data(), target.size());
  if (n < 0 || fstatat(parent.get(), name.c_str(), st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fileio::ErrnoStatus("cannot read the link '" + path + "'", errno);
  }
  target.resize(static_cast<size_t>(n));
  return target;
}

Status FileSystem::Fchown(int fd, const std::string& path, uid_t uid, gid_t gid) {
  if (fchown(fd, uid, gid) != 0) {
    return fileio::ErrnoStatus("cannot set the owner of '" + path + "' to " + std::to_string(uid) +
                                   ":" + std::to_string(gid),
                               errno);
  }
  return Status::Ok();
}

Status FileSystem::Fchmod(int fd, const std::string& path, mode_t mode) {
  if (fchmod(fd, mode) != 0)
    return fileio::ErrnoStatus("cannot set the mode of '" + path + "'", errno);
  return Status::Ok();
}

Status FileSystem::Futimens(int fd, const std::string& path, const struct timespec times[2]) {
  if (futimens(fd, times) != 0) {
    return fileio::ErrnoStatus("cannot set the modification time of '" + path + "'", errno);
  }
  return Status::Ok();
}

Status FileSystem::Commit(fileio::TempFile& temp) { return temp.Commit(); }

Status FileSystem::Remove(const std::string& root, std::string_view key) {
  return fileio::RemoveDestFile(root, key);
}

FileSystem* FileSystem::Default() {
  static FileSystem* fs = new FileSystem();
  return fs;
}

}  // namespace gwsync::sync
