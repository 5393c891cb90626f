#include "sync/manifest_kept.h"

namespace gwsync::sync {

std::unique_ptr<ManifestKept> ManifestKept::Open(const std::string& folder) {
  auto path = manifest::ResolveManifestPath(folder);
  if (!path.ok()) return nullptr;
  auto reader = manifest::Reader::Open(*path);
  if (!reader.ok()) return nullptr;
  return std::unique_ptr<ManifestKept>(new ManifestKept(std::move(*reader)));
}

bool ManifestKept::Advance() {
  auto more = reader_->Next(&current_);
  // A manifest cut short or damaged: what was read stands, no more.
  have_ = more.ok() && *more;
  done_ = !have_;
  return have_;
}

std::optional<KeptHeaders> ManifestKept::Find(const std::string& key, uint64_t size,
                                              int64_t mtime_ns) {
  // Past the records of earlier keys, and of this key's older versions (an
  // --all-versions backup): the current object's record is the file's.
  while (!done_ && (!have_ || current_.key < key || (current_.key == key && !current_.current()))) {
    if (!Advance()) break;
  }
  if (!have_ || current_.key != key || current_.size != size || current_.mtime_ns != mtime_ns ||
      current_.headers.empty()) {
    return std::nullopt;
  }
  return DecodeKept(current_.headers);
}

}  // namespace gwsync::sync
