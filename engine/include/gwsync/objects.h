// Buckets and objects on an opened Gateway (gwsync/gateway.h): what `gwsync
// ls`, `mb`, `rb` and `rm` do. Each call blocks its thread until the gateway
// has answered; call them from any thread but from inside none of their own
// callbacks. Listings stream: each page is checked, then handed on entry by
// entry, and nothing is held that grows with the number of keys.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/status.h"
#include "gwsync/url.h"

namespace gwsync {

struct BucketInfo {
  std::string name;
  std::string creation_date;  // ISO 8601 as sent
};

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;           // without quotes
  std::string last_modified;  // ISO 8601 as sent
  std::string storage_class;
};

// One entry of a listing: an object, or (not recursive) a common prefix.
// Both point into the page being walked: copy what must outlive the call.
struct ListVisit {
  const ObjectInfo* object = nullptr;   // set for an object
  const std::string* prefix = nullptr;  // set for a common prefix ("dir/")
};

struct DeleteStats {
  uint64_t deleted = 0;
  uint64_t failed = 0;
};

// The buckets the keys own, as the gateway lists them (one answer).
StatusOr<std::vector<BucketInfo>> ListBuckets(const Gateway& gateway);

// Calls `visit` for each object under `where.key` of `where.bucket` in key
// order; without `recursive`, keys are grouped at the next '/' into common
// prefixes. A non-OK Status from `visit` stops the listing and is returned.
Status ListObjects(const Gateway& gateway, const S3Url& where, bool recursive,
                   const std::function<Status(const ListVisit&)>& visit);

Status MakeBucket(const Gateway& gateway, const std::string& bucket);
// An empty bucket only: kFailedPrecondition with s3_code() "BucketNotEmpty"
// otherwise (DeletePrefix first).
Status RemoveBucket(const Gateway& gateway, const std::string& bucket);

// Deletes one object. NotFound when there is no such key (S3 answers the
// DELETE of a missing key with success: this asks first).
Status DeleteObject(const Gateway& gateway, const S3Url& object);

// Deletes every object under `where.key` (and aborts its unfinished
// multipart uploads when `uploads_too`), up to 1000 keys a request. Never a
// key outside the prefix: a listing that holds one stops it with DataLoss.
// `on_deleted` (may be empty) is told each key removed, on this thread.
StatusOr<DeleteStats> DeletePrefix(const Gateway& gateway, const S3Url& where, bool uploads_too,
                                   const std::function<void(const std::string& key)>& on_deleted);

}  // namespace gwsync
