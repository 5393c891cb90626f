#include "session/pair_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "hash/hash.h"
#include "session/run_manifest.h"
#include "util/cache_dir.h"

namespace gwsync::session {
namespace {

constexpr std::chrono::milliseconds kPoll{100};

std::string SideId(const Location& loc) {
  if (loc.kind == Location::Kind::kLocal) return "file:" + loc.path;
  return loc.remote_id + " s3://" + loc.bucket + "/" + loc.prefix;
}

// The folder of lock files, private and ours: another user's folder there
// could let them hold our locks (or read which pairs we sync).
StatusOr<fileio::Fd> OpenLockDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fileio::ErrnoStatus("cannot create the lock folder '" + dir + "'", errno);
  }
  fileio::Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    return fileio::ErrnoStatus("cannot open the lock folder '" + dir + "' (not through a link)",
                               errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return fileio::ErrnoStatus("lock folder '" + dir + "'", errno);
  if (st.st_uid != geteuid()) {
    return Status(StatusCode::kFailedPrecondition,
                  "the lock folder '" + dir + "' belongs to another user");
  }
  if ((st.st_mode & 077) != 0 && fchmod(fd.get(), 0700) != 0) {
    return fileio::ErrnoStatus("cannot make the lock folder '" + dir + "' private", errno);
  }
  return fd;
}

// The pid the holder wrote on its first line; 0 if none yet.
long HolderPid(int fd) {
  char buf[64] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  char* end = nullptr;
  long pid = std::strtol(buf, &end, 10);
  return end != buf && *end == '\n' && pid > 0 ? pid : 0;
}

}  // namespace

std::string DefaultLockDir() { return util::CacheDir() + "/locks"; }

std::string PairKey(const Location& src, const Location& dst) {
  return hash::Xxh3Hex(SideId(src) + "\n" + SideId(dst));
}

StatusOr<std::unique_ptr<PairLock>> PairLock::Acquire(const LockOptions& options,
                                                      const std::string& name,
                                                      const std::string& what,
                                                      const std::atomic<bool>* stop) {
  const std::string dir_path = options.dir.empty() ? DefaultLockDir() : options.dir;
  ASSIGN_OR_RETURN(fileio::Fd dir, OpenLockDir(dir_path));
  const std::string path = dir_path + "/" + name;
  fileio::Fd fd(openat(dir.get(), name.c_str(),
                       O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
  if (fd.get() < 0) {
    return fileio::ErrnoStatus("cannot open the lock file '" + path + "' (not through a link)",
                               errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return fileio::ErrnoStatus("lock file '" + path + "'", errno);
  if (!S_ISREG(st.st_mode)) {
    return Status(StatusCode::kFailedPrecondition,
                  "the lock file '" + path + "' is not a regular file");
  }
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  for (;;) {
    if (flock(fd.get(), LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return fileio::ErrnoStatus("cannot lock '" + path + "'", errno);
    auto now = std::chrono::steady_clock::now();
    const bool stopped = stop != nullptr && stop->load();
    if (now >= deadline || stopped) {
      long pid = HolderPid(fd.get());
      std::string other =
          "another gwsync" + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string());
      if (stopped) {
        return Status(StatusCode::kAborted,
                      "stopped while waiting for " + other + " syncing " + what + " to finish");
      }
      if (options.wait.count() > 0) {
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(options.wait).count();
        return Status(StatusCode::kAborted, other + " is still syncing " + what + " after " +
                                                std::to_string(secs) + " s of --wait-lock");
      }
      return Status(StatusCode::kAborted,
                    other + " is syncing " + what + "; --wait-lock SECONDS waits for it");
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kPoll, deadline - now));
  }
  // Ours now: who holds it, for the message of a run it refuses.
  const std::string holder = std::to_string(getpid()) + "\n" + what + "\n";
  if (ftruncate(fd.get(), 0) == 0) {
    (void)!pwrite(fd.get(), holder.data(), holder.size(), 0);
  }
  return std::unique_ptr<PairLock>(new PairLock(std::move(fd)));
}

PairLock::~PairLock() {
  if (fd_.get() >= 0) (void)!ftruncate(fd_.get(), 0);
}

StatusOr<std::unique_ptr<PairLock>> LockPair(const LockOptions& lock, const Location& src,
                                             const Location& dst, const SyncOptions& options,
                                             std::string* notice) {
  std::string name = PairKey(src, dst);
  std::string what = SideName(src, nullptr) + " -> " + SideName(dst, nullptr);
  if (!options.manifest.share.empty()) {
    name += "-" + options.manifest.share;
    what += " (" + options.manifest.share + ")";
  }
  auto held = PairLock::Acquire(lock, name + ".lock", what, options.stop);
  if (held.ok() || held.status().code() == StatusCode::kAborted) return held;
  *notice = held.status().message() +
            "; going on without the lock (another run of this pair would not be kept out)";
  return std::unique_ptr<PairLock>();
}

}  // namespace gwsync::session
