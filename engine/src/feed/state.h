// What a pair remembers of its change feed between runs, in a small JSON
// file per pair (util::CacheDir()/feeds/PAIR.json): which feed it follows,
// the marker message that proves the queue has lost nothing since the last
// run, and when the last complete full listing ended. Lost or removed, it
// costs one full listing. Plain functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gwsync/status.h"

namespace gwsync::feed {

struct FeedState {
  std::string feed;       // the feed's URL (FeedAddress::Url)
  std::string marker;     // "": nothing proves the queue complete
  int64_t last_full = 0;  // seconds since the epoch; 0: never
};

// nullopt when there is no file; an unreadable one is an error naming it.
StatusOr<std::optional<FeedState>> LoadFeedState(const std::string& path);
// Replaces the file atomically (0600, its folder 0700).
Status SaveFeedState(const std::string& path, const FeedState& state);

}  // namespace gwsync::feed
