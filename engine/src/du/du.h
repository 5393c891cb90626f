// Disk usage of a bucket: objects and bytes per prefix, down to a chosen
// depth of '/'-separated levels below the listed prefix, and per storage
// class. The listing streams page by page; keys sharing a prefix are
// adjacent in S3's order, so each prefix's row is complete, and handed on,
// as soon as the listing leaves it: memory does not grow with the keys.
// Blocks the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "gwsync/du.h"
#include "s3/client.h"

namespace gwsync::du {

// A row's figures and the whole report are the public surface's (gwsync/du.h).
using Usage = gwsync::DuUsage;
using DuReport = gwsync::DuReport;

struct DuOptions {
  int depth = 1;  // levels of folders below the prefix that get a row each
  // A prefix's row ("docker/registry/"), once complete, in key order. Files
  // directly under the prefix are counted in the report's `top` instead;
  // files in a folder above `depth` ("a/f" at depth 2) make that folder's
  // row ("a/"), handed on last.
  std::function<void(const std::string& prefix, const Usage&)> on_prefix;
};

// `prefix` is "" or ends in '/'. NotFound for a missing bucket.
StatusOr<DuReport> DiskUsage(const s3::Client& client, const std::string& bucket,
                             const std::string& prefix, const DuOptions& options);

// The row a key belongs to: its first `depth` folder levels ("a/b/"), or ""
// when it has fewer (a key directly under the prefix, counted in `top`).
std::string GroupOf(std::string_view key, int depth);

}  // namespace gwsync::du
