// The names of buckets and objects as a user types them: s3://BUCKET/KEY.
// Pure functions and a plain value, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync {

// s3://bucket/key/with/slashes; "s3://" alone names every bucket (empty bucket).
struct S3Url {
  std::string bucket;
  std::string key;  // may be empty, or a prefix ending in '/'
  // "s3://bucket/key", or "s3://bucket" when the key is empty.
  std::string ToString() const;
};

// Whether `arg` is meant as an S3 URL (it starts "s3:"), well formed or not.
bool IsS3Url(std::string_view arg);
// InvalidArgument naming the problem: "malformed S3 URL 's3:/x': expected
// s3://BUCKET[/KEY]". Bucket names as RGW accepts them: 1-255 of A-Z a-z
// 0-9 . _ - (so `db_wal` works).
StatusOr<S3Url> ParseS3Url(std::string_view url);

}  // namespace gwsync
