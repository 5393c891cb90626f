// The sync's multipart upload checkpoints in the index: what an upload
// resumes from, and the abandoned ones a complete run aborts.
#include <chrono>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "sync/direction.h"

namespace gwsync::sync::internal {

std::shared_ptr<transfer::CheckpointStore> Context::UploadCheckpoints(const std::string& key) {
  auto store = std::make_shared<transfer::CheckpointStore>();
  index::Index* idx = options.index;
  const std::string id = dst.remote_id, bucket = dst.bucket;
  store->load = [=]() -> std::optional<transfer::UploadCheckpoint> {
    auto rec = idx->GetUpload(id, bucket, key);
    if (!rec.ok() || !rec->has_value()) return std::nullopt;
    const index::UploadRecord& r = **rec;
    return transfer::UploadCheckpoint{r.upload_id, r.part_size, r.file_size,  r.file_mtime_ns,
                                      r.part_md5s, r.file_dev,  r.file_inode, r.file_ctime_ns};
  };
  store->save = [=](const transfer::UploadCheckpoint& c) {
    idx->PutUpload(id, bucket, key,
                   index::UploadRecord{c.upload_id, c.part_size, c.file_size, c.file_mtime_ns,
                                       c.part_md5s, c.file_dev, c.file_inode, c.file_ctime_ns,
                                       static_cast<int64_t>(std::time(nullptr))})
        .IgnoreError();
  };
  store->clear = [=] { idx->DeleteUpload(id, bucket, key).IgnoreError(); };
  return store;
}

void Context::AbortAbandonedUploads() {
  if (!options.index || options.dry_run) return;
  const int64_t before = static_cast<int64_t>(std::time(nullptr)) -
                         std::chrono::duration_cast<std::chrono::seconds>(kAbandonedAfter).count();
  // Collected first, a page at a time: the index is not written while it
  // is read.
  std::string after;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> stale;  // key, upload ID
    bool more = false;
    options.index
        ->ForEachUpload(dst.remote_id, dst.bucket, dst.prefix,
                        [&](const std::string& key, const index::UploadRecord& r) {
                          if (!after.empty() && key <= after) return true;
                          if (r.saved_at >= before) return true;
                          stale.emplace_back(key, r.upload_id);
                          more = stale.size() == 1000;
                          return !more;
                        })
        .IgnoreError();  // a cache: what it cannot read is left for a later run
    // Not a structured binding: a lambda captures these (clang before 16).
    for (const auto& entry : stale) {
      const std::string& key = entry.first;
      const std::string& id = entry.second;
      Status s = id.empty() ? Status::Ok() : s3::WaitStatus([&](auto done) {
        dst.client->AbortMultipartUpload(dst.bucket, key, id, done);
      });
      // Gone already (completed, aborted, expired by a lifecycle rule):
      // the record is all that is left.
      if (!s.ok() && s.code() != StatusCode::kNotFound) {
        std::lock_guard lock(report_mu_);
        report_.AddNotice(dst.Name(std::string_view(key).substr(dst.prefix.size())),
                          "abandoned upload not aborted: " + s.message());
        continue;
      }
      options.index->DeleteUpload(dst.remote_id, dst.bucket, key).IgnoreError();
      if (!id.empty() && s.ok()) {
        std::lock_guard lock(report_mu_);
        ++report_.uploads_aborted;
      }
    }
    if (!more) break;
    after = stale.back().first;
  }
}

}  // namespace gwsync::sync::internal
