// sync --changes: the change feed's flags (SyncRequest::Feed) checked and
// turned into the session's pair driver (feed/feed_run.h).
#pragma once

#include <chrono>
#include <string>

#include "gwsync/status.h"
#include "gwsync/sync.h"
#include "session/session.h"

namespace gwsync::api {

// "90s", "30m", "12h", "7d", "1.5h", or seconds; "0": never. A duration
// above 0 but below a second is refused (it would count as 0: never).
StatusOr<std::chrono::seconds> ParseDuration(const std::string& text);

// With `feed.changes`, installs the feed's driver on `session`;
// InvalidArgument (a usage error) for flags that do not go together.
Status InstallFeedDriver(const SyncRequest::Feed& feed, bool index_enabled, bool dry_run,
                         session::Session* session);

}  // namespace gwsync::api
