// Disk usage of a bucket: what `gwsync du` counts. Objects and bytes per
// prefix, down to a chosen depth of '/'-separated levels, and per storage
// class, from one listing that streams: each prefix's row is handed on as
// soon as the listing leaves it, and memory does not grow with the keys.
// DiskUsage blocks its thread; its callback runs on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

struct DuUsage {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

struct DuRequest {
  std::string target;        // s3://BUCKET[/PREFIX] or REMOTE:BUCKET[/PREFIX]
  int depth = 1;             // levels of folders below the prefix that get a row each
  std::string remotes_file;  // "": ~/.config/gwsync/remotes.conf, when there is one
  // A folder's row, once complete, in key order: the bucket, the folder's
  // whole key prefix ("backups/docker/") and its usage. Files directly under
  // the target's prefix are counted in DuReport::top instead; files in a
  // folder above `depth` ("a/f" at depth 2) make that folder's row ("a/"),
  // handed on last.
  std::function<void(const std::string& bucket, const std::string& prefix, const DuUsage&)>
      on_prefix;
};

struct DuReport {
  std::string bucket;  // as listed (REMOTE:BUCKET resolved)
  std::string prefix;  // "" or ending in '/'
  DuUsage total;
  DuUsage top;                             // keys directly under the prefix
  std::map<std::string, DuUsage> classes;  // per storage class ("STANDARD" when unsent)
};

// InvalidArgument for a target that names no bucket or a depth below 1;
// NotFound for a missing bucket; errors name the target.
StatusOr<DuReport> DiskUsage(const GatewayOptions& gateway, const DuRequest& request);

}  // namespace gwsync
