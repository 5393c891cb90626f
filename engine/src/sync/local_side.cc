#include "sync/local_side.h"

#include <dirent.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "scan/local_walker.h"

namespace gwsync::sync {
namespace {

// A vanished file (deleted since readdir: nothing to sync), a link that
// leads nowhere, a socket: reported, but no key is missing because of it.
// Anything else (permission denied, an I/O error) may hide keys.
bool IsReadError(const Status& why) {
  return why.code() != StatusCode::kNotFound && why.code() != StatusCode::kFailedPrecondition;
}

class LocalStream final : public EntryStream {
 public:
  LocalStream(std::string root, LocalListOptions options)
      : root_(std::move(root)), options_(std::move(options)), queue_(options_.queued_batches) {
    thread_ = std::thread([this] { Walk(); });
  }

  ~LocalStream() override {
    queue_.Cancel();
    thread_.join();
  }

  bool Next(ListBatch* batch) override {
    *batch = ListBatch();
    return queue_.Pop(batch);
  }

  uint64_t listed() const override { return listed_.load(std::memory_order_relaxed); }

 private:
  // On the walker thread.
  void Walk() {
    scan::WalkOptions wo;
    wo.remove_stale_temps = options_.clean_temps;
    wo.links = options_.links;
    wo.empty_dirs = options_.empty_dirs;
    wo.on_skip = [this](const std::string& path, const Status& why) {
      pending_.problems.push_back(Problem{path, why, IsReadError(why)});
    };
    Status s = scan::WalkLocal(root_, wo, [this](scan::LocalEntry e) -> Status {
      if (!options_.range.Contains(e.key) || !options_.filter.Allows(e.key)) return Status::Ok();
      // gwsync's own folder in a backup (bucket settings, ...): never an object.
      if (e.key.starts_with(".gwsync/")) return Status::Ok();
      plan::Entry p;
      p.key = std::move(e.key);
      p.size = e.size;
      p.mtime_ns = e.mtime_ns;
      p.inode = e.inode;
      p.mode = e.mode;
      p.link = e.link;
      pending_.entries.push_back(std::move(p));
      listed_.fetch_add(1, std::memory_order_relaxed);
      if (pending_.entries.size() >= options_.batch_entries && !Flush()) {
        return {StatusCode::kCancelled, "cancelled"};
      }
      return Status::Ok();
    });
    if (!s.ok() && s.code() != StatusCode::kCancelled) {
      pending_.problems.push_back(Problem{root_, s, true});
    }
    if (s.code() != StatusCode::kCancelled) Flush();
    queue_.Close();
  }

  bool Flush() {
    if (pending_.entries.empty() && pending_.problems.empty()) return true;
    bool ok = queue_.Push(std::move(pending_));
    pending_ = ListBatch();
    return ok;
  }

  const std::string root_;
  const LocalListOptions options_;
  BoundedQueue<ListBatch> queue_;
  ListBatch pending_;  // the walker thread's
  std::atomic<uint64_t> listed_{0};
  std::thread thread_;
};

Status RootStatus(const std::string& root, bool missing_ok, bool* missing) {
  struct stat st {};
  *missing = false;
  if (stat(root.c_str(), &st) != 0) {
    int err = errno;
    if ((err == ENOENT || err == ENOTDIR) && missing_ok) {
      *missing = true;
      return Status::Ok();
    }
    if (err == ENOENT || err == ENOTDIR) return NotFound("'" + root + "': no such folder");
    if (err == EACCES) return PermissionDenied("'" + root + "': " + std::strerror(err));
    return Internal("'" + root + "': " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument("'" + root + "' is not a folder");
  DIR* dir = opendir(root.c_str());
  if (dir == nullptr) {
    int err = errno;
    return err == EACCES
               ? PermissionDenied("cannot read folder '" + root + "': " + std::strerror(err))
               : Internal("cannot read folder '" + root + "': " + std::strerror(err));
  }
  closedir(dir);
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<EntryStream>> OpenLocalStream(const std::string& root,
                                                       const LocalListOptions& options) {
  bool missing = false;
  RETURN_IF_ERROR(RootStatus(root, options.missing_ok, &missing));
  if (missing) return std::unique_ptr<EntryStream>(std::make_unique<EmptyStream>());
  return std::unique_ptr<EntryStream>(std::make_unique<LocalStream>(root, options));
}

}  // namespace gwsync::sync
