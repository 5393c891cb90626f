#include "fileio/state_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace gwsync::fileio {

StatusOr<StateDir> StateDir::Open(const std::string& root, std::string_view folder, bool create) {
  // The root is the operator's: a link there is theirs to make.
  auto fd = std::make_shared<Fd>(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd->get() < 0) return ErrnoStatus("cannot open folder '" + root + "'", errno);
  std::string path = root;
  while (!folder.empty()) {
    size_t slash = folder.find('/');
    std::string name(folder.substr(0, slash));
    folder = slash == std::string_view::npos ? std::string_view() : folder.substr(slash + 1);
    path += "/" + name;
    if (create && mkdirat(fd->get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("cannot create '" + path + "'", errno);
    }
    auto next = std::make_shared<Fd>(
        openat(fd->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next->get() < 0) {
      int err = errno;
      struct stat st {};
      if ((err == ELOOP || err == ENOTDIR) &&
          fstatat(fd->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        return Status(StatusCode::kFailedPrecondition,
                      "'" + path + "' is " +
                          (S_ISLNK(st.st_mode) ? "a symbolic link" : "not a folder") +
                          ", not followed: gwsync keeps its own state there (move it aside)");
      }
      if (err == ENOENT && !create) return NotFound("'" + path + "' does not exist");
      return ErrnoStatus("cannot open folder '" + path + "'", err);
    }
    struct stat st {};
    if (fstat(next->get(), &st) != 0)
      return ErrnoStatus("cannot open folder '" + path + "'", errno);
    // Earlier versions made it 0755; made private again when it is ours.
    if (create && (st.st_mode & 077) != 0 && st.st_uid == geteuid() &&
        fchmod(next->get(), 0700) != 0) {
      return ErrnoStatus("cannot make '" + path + "' private", errno);
    }
    fd = std::move(next);
  }
  return StateDir(std::move(fd), std::move(path));
}

StatusOr<std::unique_ptr<TempFile>> StateDir::NewFile(const std::string& name) const {
  ASSIGN_OR_RETURN(auto file, TempFile::CreateAt(fd_, name, path_ + "/" + name));
  if (fchmod(file->fd(), 0600) != 0) {
    return ErrnoStatus("cannot create '" + file->path() + "'", errno);
  }
  return file;
}

Status StateDir::WriteFile(const std::string& name, std::string_view body) const {
  ASSIGN_OR_RETURN(auto file, NewFile(name));
  RETURN_IF_ERROR(WriteAll(file->fd(), body, file->path()));
  if (fsync(file->fd()) != 0) return ErrnoStatus("cannot write '" + file->path() + "'", errno);
  return file->Commit();
}

StatusOr<std::string> StateDir::ReadFile(const std::string& name, size_t limit) const {
  const std::string path = path_ + "/" + name;
  Fd file(openat(fd_->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ENOENT) return NotFound("'" + path + "' does not exist");
    if (errno == ELOOP)
      return Status(StatusCode::kFailedPrecondition,
                    "'" + path + "' is a symbolic link, not followed");
    return ErrnoStatus("cannot read '" + path + "'", errno);
  }
  struct stat st {};
  if (fstat(file.get(), &st) != 0) return ErrnoStatus("cannot read '" + path + "'", errno);
  if (!S_ISREG(st.st_mode))
    return Status(StatusCode::kFailedPrecondition, "'" + path + "' is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > limit) {
    return Status(StatusCode::kFailedPrecondition,
                  "'" + path + "' is larger than " + std::to_string(limit) + " bytes");
  }
  std::string body(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < body.size()) {
    ssize_t n = pread(file.get(), body.data() + got, body.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read '" + path + "'", errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  body.resize(got);
  return body;
}

StatusOr<std::vector<std::string>> StateDir::ListFiles() const {
  // A descriptor of its own: readdir moves its offset, closedir closes it.
  int fd = openat(fd_->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot read folder '" + path_ + "'", errno);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return ErrnoStatus("cannot read folder '" + path_ + "'", err);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(dir)) {
    struct stat st {};
    if (fstatat(fd_->get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      names.emplace_back(e->d_name);
    }
  }
  closedir(dir);
  return names;
}

bool StateDir::Remove(const std::string& name) const {
  return unlinkat(fd_->get(), name.c_str(), 0) == 0;
}

}  // namespace gwsync::fileio
