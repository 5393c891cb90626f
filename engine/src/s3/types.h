// Plain values describing buckets, objects and multipart uploads as S3
// reports them. Safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gwsync/objects.h"

namespace gwsync::s3 {

// A bucket and an object as listed are the public surface's (gwsync/objects.h).
using gwsync::BucketInfo;
using gwsync::ObjectInfo;

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_token;   // V2: NextContinuationToken
  std::string next_marker;  // V1: NextMarker, or the last key when absent
};

// One version of a key, or a delete marker (ListObjectVersions).
struct VersionInfo {
  std::string key;
  std::string version_id;  // "null" for what was written before versioning
  bool is_latest = false;
  bool delete_marker = false;
  uint64_t size = 0;          // 0 for a delete marker
  std::string etag;           // without quotes; empty for a delete marker
  std::string last_modified;  // ISO 8601 as sent
};

struct VersionsPage {
  std::vector<VersionInfo> versions;  // versions and delete markers, in the order sent
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

struct PartInfo {
  int number = 0;
  std::string etag;  // without quotes
  uint64_t size = 0;
};

struct UploadInfo {
  std::string key;
  std::string upload_id;
  std::string initiated;
};

struct UploadsPage {
  std::vector<UploadInfo> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

struct PartsPage {
  std::vector<PartInfo> parts;
  bool truncated = false;
  int next_part_number_marker = 0;
};

struct DeleteError {
  std::string key;
  std::string code;
  std::string message;
};

struct S3ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
  std::string resource;
};

}  // namespace gwsync::s3
