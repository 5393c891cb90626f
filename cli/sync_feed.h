// sync --changes FEED [--follow [--heartbeat-every D]] [--reconcile-every D]
// [--feed-batch N]:
// the flags, and the session's driver that runs a pair from the change feed
// (feed/feed_run.h). Main thread only.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "feed/feed_run.h"
#include "session/session.h"

namespace gwsync::cli {

struct SyncFeedFlags {
  std::string changes;  // amqp://HOST[:PORT][/VHOST]?queue=Q
  std::string credentials_file;
  std::string reconcile_every = "7d";
  bool follow = false;
  std::string heartbeat_every = "1h";
  bool heartbeat_given = false;  // --heartbeat-every given (it needs --follow)
  int batch = 1000;              // --feed-batch: messages per batch
  bool batch_given = false;      // --feed-batch given (it needs --changes)
};

void AddSyncFeedFlags(CLI::App* cmd, SyncFeedFlags* f);

// "90s", "30m", "12h", "7d", "1.5h", or seconds; "0": never. A duration
// above 0 but below a second is refused (it would count as 0: never).
StatusOr<std::chrono::seconds> ParseDuration(const std::string& text);

// With --changes, installs the feed's driver on `session`; InvalidArgument
// (a usage error) for flags that do not go together. `on_batch` and
// `on_notice` report a --follow run as it goes, `on_progress` after each
// batch and each marker that comes back (feed::FeedOptions).
Status InstallFeedDriver(const SyncFeedFlags& f, bool index_enabled, bool dry_run,
                         session::Session* session,
                         std::function<void(const sync::SyncReport&)> on_batch,
                         std::function<void(const std::string&)> on_notice,
                         feed::ProgressCallback on_progress);

}  // namespace gwsync::cli
