#include "sides/local_side.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "fileio/beneath.h"
#include "scan/local_walker.h"

namespace gwsync::sides {
namespace {

// A vanished file (deleted since readdir: nothing to sync), a link that
// leads nowhere, a socket: reported, but no key is missing because of it.
// Anything else (permission denied, an I/O error) may hide keys.
bool IsReadError(const Status& why) {
  return why.code() != StatusCode::kNotFound && why.code() != StatusCode::kFailedPrecondition;
}

class LocalStream final : public EntryStream {
 public:
  // `store`: `root` is a key store (plan::kKeyStoreDir), whose files are
  // listed as the keys their names encode, their paths kept.
  LocalStream(std::string root, LocalListOptions options, bool store = false)
      : root_(std::move(root)),
        options_(std::move(options)),
        store_(store),
        queue_(options_.queued_batches) {
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
    wo.root_fd = options_.root ? options_.root->get() : -1;
    wo.on_skip = [this](const std::string& path, const Status& why) {
      pending_.problems.push_back(Problem{path, why, IsReadError(why)});
    };
    Status s = scan::WalkLocal(root_, wo, [this](scan::LocalEntry e) -> Status {
      plan::Entry p;
      if (store_) {
        std::optional<std::string> key = plan::KeyFromStorePath(e.key);
        std::string path = std::string(plan::kKeyStoreDir) + "/" + e.key;
        if (!key) {
          pending_.problems.push_back(Problem{
              root_ + "/" + e.key,
              Status(StatusCode::kFailedPrecondition, "not a key of the key store: ignored"),
              false});
          return Status::Ok();
        }
        e.key = std::move(*key);
        p.path = std::move(path);
      }
      if (!options_.range.Contains(e.key) || !options_.filter.Allows(e.key)) return Status::Ok();
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
  const bool store_;
  BoundedQueue<ListBatch> queue_;
  ListBatch pending_;  // the walker thread's
  std::atomic<uint64_t> listed_{0};
  std::thread thread_;
};

// A folder's tree and its key store read as one stream in key order. A key
// in both (an empty folder listed as its marker, which the store keeps as
// the object it was) is the store's.
class MergedStream final : public EntryStream {
 public:
  MergedStream(std::unique_ptr<EntryStream> tree, std::unique_ptr<EntryStream> store) {
    tree_.stream = std::move(tree);
    store_.stream = std::move(store);
  }

  bool Next(ListBatch* out) override {
    *out = ListBatch();
    while (out->entries.size() < kBatch) {
      bool has_tree = Fill(tree_, out), has_store = Fill(store_, out);
      if (!has_tree && !has_store) break;
      int cmp = !has_tree ? 1 : !has_store ? -1 : tree_.Peek().key.compare(store_.Peek().key);
      if (cmp == 0) tree_.pos++;  // the store's is the object
      out->entries.push_back(std::move(cmp < 0 ? tree_ : store_).Take());
    }
    return !out->entries.empty() || !out->problems.empty();
  }
  uint64_t listed() const override { return tree_.stream->listed() + store_.stream->listed(); }

 private:
  static constexpr size_t kBatch = 1000;
  struct Side {
    std::unique_ptr<EntryStream> stream;
    ListBatch batch;
    size_t pos = 0;
    bool ended = false;
    const plan::Entry& Peek() const { return batch.entries[pos]; }
    plan::Entry Take() && { return std::move(batch.entries[pos++]); }
  };
  // Points `s` at an entry, pulling batches and passing their problems on.
  static bool Fill(Side& s, ListBatch* out) {
    while (!s.ended && s.pos >= s.batch.entries.size()) {
      s.batch = ListBatch();
      s.pos = 0;
      if (!s.stream->Next(&s.batch)) s.ended = true;
      for (auto& p : s.batch.problems) out->problems.push_back(std::move(p));
      s.batch.problems.clear();
    }
    return !s.ended || s.pos < s.batch.entries.size();
  }
  Side tree_, store_;
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
  auto tree = std::make_unique<LocalStream>(root, options);
  // The keys the tree cannot hold as files of their own (plan::NeedsKeyStore).
  const std::string store = root + "/" + std::string(plan::kKeyStoreDir);
  LocalListOptions so = options;
  if (options.root) {
    // Beneath the root the tree is read from, with no link on the way: a
    // `.gwsync` planted as a link is not followed.
    int fd = fileio::OpenBeneath(options.root->get(), plan::kKeyStoreDir, O_PATH | O_DIRECTORY);
    if (fd < 0) return std::unique_ptr<EntryStream>(std::move(tree));
    so.root = std::make_shared<fileio::Fd>(fd);
  } else if (struct stat st{}; lstat(store.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return std::unique_ptr<EntryStream>(std::move(tree));
  }
  so.links = scan::Links::kSkip;  // the store holds regular files only
  so.empty_dirs = false;
  return std::unique_ptr<EntryStream>(std::make_unique<MergedStream>(
      std::move(tree), std::make_unique<LocalStream>(store, so, /*store=*/true)));
}

}  // namespace gwsync::sides
