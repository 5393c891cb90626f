#include "transfer/bulk.h"

#include <vector>

#include "s3/listing.h"

namespace gwsync::transfer {

Status ForEachObject(const s3::Client& client, const std::string& bucket, const std::string& prefix,
                     bool recursive, const std::function<Status(const ListVisit&)>& visit) {
  s3::ListingOptions options;
  options.prefix = prefix;
  if (!recursive) options.delimiter = "/";
  options.v1_fallback = true;
  s3::ObjectListing listing(client, bucket, std::move(options));
  s3::ListPage page;
  for (;;) {
    // Checked before anything of the page is shown: a broken page shows nothing.
    ASSIGN_OR_RETURN(bool more, listing.Next(&page));
    if (!more) return Status::Ok();
    // Objects and prefixes each come sorted; merge them into one key order.
    size_t i = 0, j = 0;
    while (i < page.objects.size() || j < page.common_prefixes.size()) {
      bool take_object = j >= page.common_prefixes.size() ||
                         (i < page.objects.size() && page.objects[i].key < page.common_prefixes[j]);
      ListVisit v;
      if (take_object) {
        v.object = &page.objects[i++];
      } else {
        v.prefix = &page.common_prefixes[j++];
      }
      RETURN_IF_ERROR(visit(v));
    }
  }
}

StatusOr<DeleteStats> DeletePrefix(const s3::Client& client, const std::string& bucket,
                                   const std::string& prefix, bool uploads_too,
                                   const std::function<void(const std::string&)>& on_deleted) {
  DeleteStats stats;
  std::vector<std::string> batch;
  Status first_error;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    auto failed = s3::Wait<std::vector<s3::DeleteError>>(
        [&](auto done) { client.DeleteObjects(bucket, batch, done); });
    if (!failed.ok()) return failed.status();
    std::vector<bool> bad(batch.size(), false);
    for (const auto& e : *failed) {
      for (size_t k = 0; k < batch.size(); ++k) {
        if (batch[k] == e.key) bad[k] = true;
      }
      if (first_error.ok()) {
        first_error = Internal("s3://" + bucket + "/" + e.key + ": " + e.code + " " + e.message);
      }
    }
    for (size_t k = 0; k < batch.size(); ++k) {
      if (bad[k]) {
        ++stats.failed;
      } else {
        ++stats.deleted;
        if (on_deleted) on_deleted(batch[k]);
      }
    }
    batch.clear();
    return Status::Ok();
  };
  // Listing continues after deleting a page: keys are gone but the
  // continuation token still points past them. ForEachObject's listing
  // refuses a page holding a key outside the prefix before any of it is
  // visited, so only keys under the prefix reach the batch.
  RETURN_IF_ERROR(ForEachObject(client, bucket, prefix, true, [&](const ListVisit& v) -> Status {
    // A recursive listing has no folders; a gateway that sends one anyway
    // has nothing to delete there.
    if (!v.object) return Status::Ok();
    batch.push_back(v.object->key);
    if (batch.size() == 1000) return flush();
    return Status::Ok();
  }));
  RETURN_IF_ERROR(flush());

  if (uploads_too) {
    s3::UploadListing uploads(client, bucket);
    s3::UploadsPage page;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, uploads.Next(&page));
      if (!more) break;
      // Aborted page by page: the markers of the next still point past them.
      for (const auto& u : page.uploads) {
        if (!u.key.starts_with(prefix)) continue;
        RETURN_IF_ERROR(s3::WaitStatus(
            [&](auto done) { client.AbortMultipartUpload(bucket, u.key, u.upload_id, done); }));
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return stats;
}

}  // namespace gwsync::transfer
