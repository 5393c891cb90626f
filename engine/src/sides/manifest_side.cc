#include "sides/manifest_side.h"

#include <atomic>

namespace gwsync::sides {
namespace {

class ManifestStream final : public EntryStream {
 public:
  ManifestStream(std::string path, std::unique_ptr<manifest::Reader> reader, plan::Filter filter)
      : path_(std::move(path)), reader_(std::move(reader)), filter_(std::move(filter)) {}

  bool Next(ListBatch* batch) override {
    *batch = ListBatch();
    while (!done_ && batch->entries.size() < kBatch) {
      manifest::Record r;
      StatusOr<bool> more = reader_->Next(&r);
      if (!more.ok()) {
        batch->problems.push_back(Problem{path_, more.status(), true});
        done_ = true;
        break;
      }
      if (!*more) {
        done_ = true;
        break;
      }
      // An --all-versions manifest's older versions and delete markers
      // are no objects of the tree (verify/versions.h checks them).
      if (!filter_.Allows(r.key) || !r.current()) continue;
      plan::Entry e;
      e.key = std::move(r.key);
      e.size = r.size;
      e.mtime_ns = r.mtime_ns;
      e.mode = r.mode;
      e.etag = !r.etag.empty() ? std::move(r.etag) : std::move(r.md5);
      e.part_size = r.part_size;
      e.part_doubling = r.part_doubling;
      e.unverified = r.unverified;
      e.xxh3 = std::move(r.xxh3);
      batch->entries.push_back(std::move(e));
      listed_.fetch_add(1, std::memory_order_relaxed);
    }
    return !batch->entries.empty() || !batch->problems.empty();
  }

  uint64_t listed() const override { return listed_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBatch = 1000;
  const std::string path_;
  std::unique_ptr<manifest::Reader> reader_;
  const plan::Filter filter_;
  bool done_ = false;
  std::atomic<uint64_t> listed_{0};
};

}  // namespace

StatusOr<std::unique_ptr<EntryStream>> OpenManifestStream(const std::string& path,
                                                          const plan::Filter& filter,
                                                          manifest::Header* header) {
  ASSIGN_OR_RETURN(std::string file, manifest::ResolveManifestPath(path));
  ASSIGN_OR_RETURN(std::unique_ptr<manifest::Reader> reader, manifest::Reader::Open(file));
  if (header) *header = reader->header();
  return std::unique_ptr<EntryStream>(
      std::make_unique<ManifestStream>(file, std::move(reader), filter));
}

}  // namespace gwsync::sides
