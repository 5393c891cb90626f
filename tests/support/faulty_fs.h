// A sync::FileSystem that does what the system does, except where a test
// says otherwise (RocksDB's FaultInjectionTestFS): `before` runs ahead of
// each operation and may fail it (the operation is then not done), `after`
// runs once it is done (to change a file under the sync's feet between two
// operations). Both are called from the sync's threads at once: set them
// before the sync starts and keep their state thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "sync/file_system.h"

namespace gwsync::testing {

enum class FsOp {
  kOpen,
  kFstat,
  kPread,
  kStat,
  kReadLink,
  kFchown,
  kFchmod,
  kFutimens,
  kCommit,
  kRemove
};

class FaultyFileSystem final : public sync::FileSystem {
 public:
  // `path`: the file concerned (a download's final name; root/key for the
  // others).
  using Before = std::function<Status(FsOp op, const std::string& path)>;
  using After = std::function<void(FsOp op, const std::string& path)>;

  Before before;
  After after;

  // `path`: root/key.
  StatusOr<std::shared_ptr<fileio::Fd>> Open(const sync::LocalRoot& root,
                                             std::string_view key) override {
    const std::string path = root.PathOf(key);
    RETURN_IF_ERROR(RunBefore(FsOp::kOpen, path));
    return RunAfter(FsOp::kOpen, path, FileSystem::Open(root, key));
  }
  Status Fstat(int fd, const std::string& path, struct stat* st) override {
    RETURN_IF_ERROR(RunBefore(FsOp::kFstat, path));
    return RunAfter(FsOp::kFstat, path, FileSystem::Fstat(fd, path, st));
  }
  StatusOr<size_t> Pread(int fd, const std::string& path, std::span<char> buf,
                         uint64_t offset) override {
    RETURN_IF_ERROR(RunBefore(FsOp::kPread, path));
    return RunAfter(FsOp::kPread, path, FileSystem::Pread(fd, path, buf, offset));
  }
  Status Stat(const sync::LocalRoot& root, std::string_view key, struct stat* st) override {
    const std::string path = root.PathOf(key);
    RETURN_IF_ERROR(RunBefore(FsOp::kStat, path));
    return RunAfter(FsOp::kStat, path, FileSystem::Stat(root, key, st));
  }
  StatusOr<std::string> ReadLink(const sync::LocalRoot& root, std::string_view key,
                                 struct stat* st) override {
    const std::string path = root.PathOf(key);
    RETURN_IF_ERROR(RunBefore(FsOp::kReadLink, path));
    return RunAfter(FsOp::kReadLink, path, FileSystem::ReadLink(root, key, st));
  }
  Status Fchown(int fd, const std::string& path, uid_t uid, gid_t gid) override {
    RETURN_IF_ERROR(RunBefore(FsOp::kFchown, path));
    return RunAfter(FsOp::kFchown, path, FileSystem::Fchown(fd, path, uid, gid));
  }
  Status Fchmod(int fd, const std::string& path, mode_t mode) override {
    RETURN_IF_ERROR(RunBefore(FsOp::kFchmod, path));
    return RunAfter(FsOp::kFchmod, path, FileSystem::Fchmod(fd, path, mode));
  }
  Status Futimens(int fd, const std::string& path, const struct timespec times[2]) override {
    RETURN_IF_ERROR(RunBefore(FsOp::kFutimens, path));
    return RunAfter(FsOp::kFutimens, path, FileSystem::Futimens(fd, path, times));
  }
  Status Commit(fileio::TempFile& temp) override {
    RETURN_IF_ERROR(RunBefore(FsOp::kCommit, temp.path()));
    return RunAfter(FsOp::kCommit, temp.path(), FileSystem::Commit(temp));
  }
  Status Remove(const std::string& root, std::string_view key) override {
    std::string path = root + "/" + std::string(key);
    RETURN_IF_ERROR(RunBefore(FsOp::kRemove, path));
    return RunAfter(FsOp::kRemove, path, FileSystem::Remove(root, key));
  }

  // Operations asked for (failed ones included).
  int calls() const { return calls_.load(); }

 private:
  Status RunBefore(FsOp op, const std::string& path) {
    calls_.fetch_add(1);
    return before ? before(op, path) : Status::Ok();
  }
  template <typename T>
  T RunAfter(FsOp op, const std::string& path, T result) {
    if (after) after(op, path);
    return result;
  }

  std::atomic<int> calls_{0};
};

}  // namespace gwsync::testing
