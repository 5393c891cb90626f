// The two kinds of listing a sync merges: a local folder walk and a bucket
// listing, both in S3 key byte order, keys relative to the root or prefix,
// filtered. Large buckets are listed as several prefixes in parallel. Blocking;
// any thread but the transport's.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"
#include "s3/client.h"

namespace gwsync::sync {

// A missing folder is empty when it is the destination (`missing_ok`), an
// error otherwise. `clean_temps` removes temporary files that runs killed
// mid-download left behind.
StatusOr<std::vector<plan::Entry>> ListLocal(const std::string& root, const plan::Filter& filter,
                                             bool missing_ok, bool clean_temps = false);

// `prefix` is "" or ends in '/'; returned keys have it removed. A missing
// bucket is empty when `missing_ok`.
StatusOr<std::vector<plan::Entry>> ListRemote(const s3::Client& client, const std::string& bucket,
                                              const std::string& prefix, const plan::Filter& filter,
                                              bool missing_ok, int parallel = 16);

}  // namespace gwsync::sync
