// sync --changes FEED [--follow [--heartbeat-every D]] [--reconcile-every D]
// [--feed-batch N]: the flags (the library checks them and runs the feed:
// SyncRequest::Feed). Main thread only.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "gwsync/sync.h"

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

// The flags as the library's request takes them.
SyncRequest::Feed FeedRequestOf(const SyncFeedFlags& f);

}  // namespace gwsync::cli
