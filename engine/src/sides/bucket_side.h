// A bucket (and prefix) as a sync's side: its keys streamed in S3 key byte
// order while they are listed. The key space is split into partitions by a
// delimiter fan-out ("docker/registry/v2/blobs/sha256/00/" .. "ff/"), found
// by a discovery thread as it walks the delimiter levels in order; up to
// `parallel` partitions ahead of the reader are listed at once over the
// client's endpoint pool, each page requested only when there is room for
// it, so memory is bounded by (partitions ahead x pages per partition x
// 1000 keys), not by the bucket.
//
// Everything a gateway sends is checked: keys outside the partition, out of
// order, a continuation token seen before or endless empty pages end that
// partition, and more keys than the bucket can hold (its count, asked once
// with HEAD bucket, and room to grow: s3::ListBudget) end the side, with an
// in-band Problem (a read error: no deletes), never a crash or an endless
// loop.
#pragma once

#include <memory>
#include <string>

#include "plan/plan.h"
#include "s3/client.h"
#include "sides/key_range.h"
#include "sides/stream.h"

namespace gwsync::sides {

struct BucketListOptions {
  // How problems name the bucket (SyncReport): "s3://b", "REMOTE:b".
  std::string name;
  plan::Filter filter;
  bool missing_ok = false;  // a bucket that does not exist is empty (a destination)
  int parallel = 16;        // partitions listed at once
  int max_depth = 6;        // delimiter levels explored to find partitions
  size_t pages_ahead = 2;   // pages buffered for the partition being read
  // Only these keys (relative to the prefix) are listed: folders wholly
  // outside are skipped, the first one inside starts with `start-after`, and
  // the listing stops at the first key past the end.
  KeyRange range;
};

// `prefix` is "" or ends in '/'; entries have it removed. The first page is
// fetched before this returns, so a missing bucket, wrong credentials or an
// unreachable gateway fail here: a sync that cannot list its source does
// not start. The client must outlive the stream.
StatusOr<std::unique_ptr<EntryStream>> OpenBucketStream(const s3::Client& client,
                                                        const std::string& bucket,
                                                        const std::string& prefix,
                                                        const BucketListOptions& options);

}  // namespace gwsync::sides
