#include "fileio/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace gwsync::fileio {
namespace {

int Openat2(int dir_fd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  return static_cast<int>(syscall(SYS_openat2, dir_fd, path, &how, sizeof how));
}

Resolver Probe() {
  int fd = Openat2(AT_FDCWD, ".", O_PATH | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return Resolver::kOpenat2;
  }
  // An old kernel, or a container's seccomp filter that does not know the call.
  return errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == E2BIG
             ? Resolver::kWalk
             : Resolver::kOpenat2;
}

bool ValidRel(std::string_view rel) {
  if (rel.empty()) return true;
  size_t start = 0;
  for (;;) {
    size_t slash = rel.find('/', start);
    std::string_view seg = rel.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// O_NOFOLLOW with O_DIRECTORY says ENOTDIR for a link: ELOOP, as openat2
// says it, so that callers tell a link from a file.
int LinkErrno(int dir_fd, const std::string& name, int err) {
  struct stat st;
  if (err == ENOTDIR && fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(st.st_mode)) {
    return ELOOP;
  }
  return err;
}

// Each folder on the way opened O_PATH | O_NOFOLLOW | O_DIRECTORY from the
// one before: a link among them fails instead of being followed.
int Walk(int dir_fd, std::string_view rel, int flags) {
  int cur = dir_fd;
  auto close_cur = [&] {
    if (cur != dir_fd) close(cur);
  };
  size_t start = 0;
  for (;;) {
    size_t slash = rel.find('/', start);
    std::string name(rel.substr(start, slash - start));
    if (slash == std::string_view::npos) {
      int fd = openat(cur, name.c_str(), flags | O_NOFOLLOW);
      int err = errno;
      if (fd < 0) err = LinkErrno(cur, name, err);
      close_cur();
      errno = err;
      return fd;
    }
    int next = openat(cur, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      int err = LinkErrno(cur, name, errno);
      close_cur();
      errno = err;
      return -1;
    }
    close_cur();
    cur = next;
    start = slash + 1;
  }
}

std::atomic<int> forced{-1};

}  // namespace

Resolver DefaultResolver() {
  int f = forced.load(std::memory_order_relaxed);
  if (f >= 0) return static_cast<Resolver>(f);
  static const Resolver probed = Probe();
  return probed;
}

void ForceResolverForTesting(std::optional<Resolver> how) {
  forced.store(how ? static_cast<int>(*how) : -1, std::memory_order_relaxed);
}

int OpenBeneath(int dir_fd, std::string_view rel, int flags, Resolver how) {
  flags |= O_CLOEXEC;
  if (!ValidRel(rel)) {
    errno = EINVAL;
    return -1;
  }
  if (rel.empty()) return openat(dir_fd, ".", flags);
  if (how == Resolver::kOpenat2) return Openat2(dir_fd, std::string(rel).c_str(), flags);
  return Walk(dir_fd, rel, flags);
}

}  // namespace gwsync::fileio
