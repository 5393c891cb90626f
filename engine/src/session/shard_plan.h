// Choosing the split points of a sharded sync (sides/key_range.h), and the
// plan file every share reads so that all agree on them even while the
// bucket changes. Two ways to choose:
//
// - QuickBounds: a few delimiter listings (the top levels of the key
//   space); balanced by folder count, not by keys. Each share can afford it.
// - PlanFromStream: one full listing, keeping every k-th key (k doubling as
//   needed, so memory stays bounded); balanced by key count, with each
//   share's exact key and byte counts. This is `gwsync shard-plan`.
//
// Functions block their caller; the stream's and client's threads do the I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "s3/client.h"
#include "sides/key_range.h"
#include "sides/stream.h"

namespace gwsync::session {

struct ShardPlan {
  std::vector<std::string> bounds;  // N-1 split points, relative to the prefix
  // Per share, when known (from a full listing): keys and bytes at plan time.
  std::vector<uint64_t> keys, bytes;
  std::string source;  // what was listed, as typed
  std::string method;  // "listing", "delimiter", "file"
  int count() const { return static_cast<int>(bounds.size()) + 1; }
};

// Balances `n` shares over everything `stream` lists. Read errors in the
// listing fail the plan (a plan that missed keys would be unbalanced, not
// wrong, but the user should know).
StatusOr<ShardPlan> PlanFromStream(sides::EntryStream& stream, int n);

// Split points from the delimiter levels under `prefix` (at most
// `max_requests` LIST requests). Deterministic for an unchanged bucket.
StatusOr<ShardPlan> QuickBounds(const s3::Client& client, const std::string& bucket,
                                const std::string& prefix, int n, int max_requests = 64);

// The plan as JSON (bounds %-encoded, see sides::EncodeKey), and back. ReadShardPlan
// also takes a plain text file of split points, one a line (%-encoded where
// needed; blank lines and lines starting with '#' are ignored).
std::string ShardPlanJson(const ShardPlan& plan);
StatusOr<ShardPlan> ReadShardPlan(const std::string& path);

}  // namespace gwsync::session
