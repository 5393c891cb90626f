#include "transfer/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <random>

#include "http/bodies.h"

namespace gwsync::transfer {

Status ErrnoStatus(const std::string& what, int err) {
  StatusCode code = StatusCode::kInternal;
  if (err == ENOENT || err == ENOTDIR) code = StatusCode::kNotFound;
  if (err == EACCES || err == EPERM) code = StatusCode::kPermissionDenied;
  if (err == ENOSPC || err == EDQUOT) code = StatusCode::kResourceExhausted;
  return Status(code, what + ": " + http::ErrnoText(err));
}

StatusOr<hash::Md5Digest> Md5OfRange(int fd, uint64_t offset, uint64_t length) {
  hash::Md5Hasher md5;
  std::string buf(std::min<uint64_t>(length, 1 << 20), '\0');
  http::FileRangeSource src(fd, offset, length);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, src.Read(buf));
    if (n == 0) break;
    md5.Update(std::string_view(buf.data(), n));
  }
  return md5.Finish();
}

Status HashingSink::Write(std::string_view data) {
  md5_.Update(data);
  size_ += data.size();
  return inner_->Write(data);
}

mode_t DefaultFileMode() {
  static const mode_t mode = [] {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("Umask:")) {
        return static_cast<mode_t>(0666 & ~std::stoul(line.substr(6), nullptr, 8));
      }
    }
    return static_cast<mode_t>(0644);  // the usual umask 022
  }();
  return mode;
}

StatusOr<std::unique_ptr<TempFile>> TempFile::Create(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto fd = std::make_shared<Fd>(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd->get() < 0) return ErrnoStatus("cannot create a file in '" + dir + "'", errno);
  return CreateAt(std::move(fd), base, path);
}

StatusOr<std::unique_ptr<TempFile>> TempFile::CreateAt(std::shared_ptr<Fd> dir, std::string name,
                                                       std::string path) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // 0600 whatever the umask: the object's mode is set only when the bytes
  // are complete and verified.
  for (int tries = 0; tries < 100; ++tries) {
    std::string tmp = "." + name.substr(0, 200) + ".gwsync-";
    for (int i = 0; i < 6; ++i) tmp += kChars[rng() % (sizeof(kChars) - 1)];
    int fd =
        openat(dir->get(), tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // Held until the file is renamed or removed: a later run may delete a
      // temporary file only when its writer is gone (scan::RemoveIfStale).
      flock(fd, LOCK_EX | LOCK_NB);
      return std::unique_ptr<TempFile>(
          new TempFile(fd, std::move(dir), std::move(tmp), std::move(name), std::move(path)));
    }
    if (errno != EEXIST) return ErrnoStatus("cannot create a file beside '" + path + "'", errno);
  }
  return Internal("cannot find a free temporary name beside '" + path + "'");
}

TempFile::~TempFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlinkat(dir_->get(), tmp_.c_str(), 0);
}

Status TempFile::Commit() {
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return ErrnoStatus("write '" + path_ + "'", errno);
  if (renameat(dir_->get(), tmp_.c_str(), dir_->get(), name_.c_str()) != 0) {
    return ErrnoStatus("rename to '" + path_ + "'", errno);
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace gwsync::transfer
