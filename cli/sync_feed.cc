#include "cli/sync_feed.h"

namespace gwsync::cli {

void AddSyncFeedFlags(CLI::App* cmd, SyncFeedFlags* f) {
  cmd->add_option("--changes", f->changes,
                  "s3://BUCKET DIR: take the work from the bucket's change feed (as `gwsync feed "
                  "setup` prints it) instead of listing; a full listing whenever the feed cannot "
                  "be shown complete, and says why")
      ->type_name("amqp://HOST[:PORT][/VHOST]?queue=Q");
  cmd->add_flag("--follow", f->follow,
                "with --changes: keep applying changes as they come, until stopped (SIGINT, "
                "SIGTERM); --metrics-file is written after each batch and each proof of the feed "
                "(--heartbeat-every); no run manifest is written (it would list the whole folder "
                "each time)");
  cmd->add_option("--heartbeat-every", f->heartbeat_every,
                  "with --follow: when no change came for this long, prove the feed alive and "
                  "complete all the same (a marker of gwsync's own must come back through the "
                  "queue), then write --metrics-file with a new last success (default 1h; 0: "
                  "never)")
      ->type_name("DURATION")
      ->each([f](const std::string&) { f->heartbeat_given = true; });
  cmd->add_option("--reconcile-every", f->reconcile_every,
                  "with --changes: list everything at least this often (default 7d; 0: never)")
      ->type_name("DURATION");
  cmd->add_option("--feed-batch", f->batch,
                  "with --changes: messages taken and applied as one batch (default 1000)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000))
      ->each([f](const std::string&) { f->batch_given = true; });
  cmd->add_option("--broker-credentials", f->credentials_file,
                  "with --changes: the broker's USER:PASSWORD on the first line of FILE (else "
                  "GWSYNC_AMQP_USER and GWSYNC_AMQP_PASSWORD, else guest)")
      ->type_name("FILE");
}

SyncRequest::Feed FeedRequestOf(const SyncFeedFlags& f) {
  SyncRequest::Feed feed;
  feed.changes = f.changes;
  feed.credentials_file = f.credentials_file;
  feed.reconcile_every = f.reconcile_every;
  feed.follow = f.follow;
  if (f.heartbeat_given) feed.heartbeat_every = f.heartbeat_every;
  if (f.batch_given) feed.batch = f.batch;
  return feed;
}

}  // namespace gwsync::cli
