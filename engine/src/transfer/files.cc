#include "transfer/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
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

namespace {

// The temporary files alive now, for the signal handler: fixed slots it can
// read without locks or allocation. A slot is 0 free, 1 being filled, 2 live.
// With more than kMaxLive at once, the extra ones are not registered (they
// are still removed by the next sync into their folder).
constexpr int kMaxLive = 1024;
struct LiveSlot {
  std::atomic<int> state{0};
  char path[4096];
};
LiveSlot g_live[kMaxLive];

int RegisterLive(const std::string& path) {
  if (path.size() >= sizeof(LiveSlot::path)) return -1;
  for (int i = 0; i < kMaxLive; ++i) {
    int expected = 0;
    if (g_live[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_live[i].path, path.c_str(), path.size() + 1);
      g_live[i].state.store(2);
      return i;
    }
  }
  return -1;
}

void UnregisterLive(int slot) {
  if (slot >= 0) g_live[slot].state.store(0);
}

extern "C" void RemoveLiveAndDie(int sig) {
  for (auto& slot : g_live) {
    if (slot.state.load() == 2) unlink(slot.path);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void RemoveTempFilesOnSignals() {
  struct sigaction sa {};
  sa.sa_handler = RemoveLiveAndDie;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

TempFile::TempFile(int fd, std::string tmp, std::string path)
    : fd_(fd), tmp_(std::move(tmp)), path_(std::move(path)), slot_(RegisterLive(tmp_)) {}

std::unique_ptr<TempFile> TempFile::Adopt(int fd, std::string tmp, std::string path) {
  return std::unique_ptr<TempFile>(new TempFile(fd, std::move(tmp), std::move(path)));
}

StatusOr<std::unique_ptr<TempFile>> TempFile::Create(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Not mkstemp: its 0600 would need a umask() dance that races other
  // threads. O_EXCL with 0666 lets the kernel apply the umask.
  for (int tries = 0; tries < 100; ++tries) {
    std::string name = dir + "." + base.substr(0, 200) + ".gwsync-";
    for (int i = 0; i < 6; ++i) name += kChars[rng() % (sizeof(kChars) - 1)];
    int fd = open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      // Held until the file is renamed or removed: a later run may delete a
      // temporary file only when its writer is gone (scan::RemoveIfStale).
      flock(fd, LOCK_EX | LOCK_NB);
      return std::unique_ptr<TempFile>(new TempFile(fd, name, path));
    }
    if (errno != EEXIST) {
      return ErrnoStatus("cannot create a file in '" + (dir.empty() ? "." : dir) + "'", errno);
    }
  }
  return Internal("cannot find a free temporary name beside '" + path + "'");
}

TempFile::~TempFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(tmp_.c_str());
  UnregisterLive(slot_);
}

Status TempFile::Commit() {
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return ErrnoStatus("write '" + path_ + "'", errno);
  if (rename(tmp_.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus("rename to '" + path_ + "'", errno);
  }
  committed_ = true;
  UnregisterLive(slot_);
  slot_ = -1;
  return Status::Ok();
}

}  // namespace gwsync::transfer
