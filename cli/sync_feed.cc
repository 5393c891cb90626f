#include "cli/sync_feed.h"

#include <cstdlib>

#include "feed/feed_run.h"

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

StatusOr<std::chrono::seconds> ParseDuration(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  double scale = unit.empty() || unit == "s" ? 1
                 : unit == "m"               ? 60
                 : unit == "h"               ? 3600
                 : unit == "d"               ? 86400
                 : unit == "w"               ? 7 * 86400
                                             : -1;
  if (text.empty() || end == text.c_str() || scale < 0 || !(v >= 0) || v * scale > 1e10) {
    return InvalidArgument("'" + text + "' is no duration: expected e.g. 90s, 30m, 12h, 7d");
  }
  if (v > 0 && v * scale < 1) {
    return InvalidArgument("'" + text +
                           "' is less than a second: durations here count whole "
                           "seconds (0 means never)");
  }
  return std::chrono::seconds(static_cast<int64_t>(v * scale));
}

Status InstallFeedDriver(const SyncFeedFlags& f, bool index_enabled, bool dry_run,
                         session::Session* session,
                         std::function<void(const sync::SyncReport&)> on_batch,
                         std::function<void(const std::string&)> on_notice,
                         feed::ProgressCallback on_progress) {
  if (f.heartbeat_given && !f.follow) return InvalidArgument("--heartbeat-every needs --follow");
  if (f.changes.empty()) {
    if (f.batch_given) return InvalidArgument("--feed-batch needs --changes FEED");
    if (f.follow) return InvalidArgument("--follow needs --changes FEED");
    return Status::Ok();
  }
  if (!index_enabled) {
    return InvalidArgument(
        "--changes needs the index (it checks the feed against it): leave "
        "out --no-index");
  }
  if (dry_run) return InvalidArgument("--changes does not work with --dry-run");
  feed::FeedOptions o;
  ASSIGN_OR_RETURN(o.feed, feed::ParseFeedUrl(f.changes));
  ASSIGN_OR_RETURN(o.credentials,
                   feed::ResolveBrokerCredentials(f.credentials_file, [](const char* name) {
                     const char* v = std::getenv(name);
                     return v ? std::optional<std::string>(v) : std::nullopt;
                   }));
  ASSIGN_OR_RETURN(o.reconcile_every, ParseDuration(f.reconcile_every));
  o.follow = f.follow;
  o.batch = f.batch;
  ASSIGN_OR_RETURN(o.heartbeat_every, ParseDuration(f.heartbeat_every));
  o.on_batch = std::move(on_batch);
  o.on_notice = std::move(on_notice);
  o.on_progress = std::move(on_progress);
  session->SetPairDriver([o](const sync::Location& src, const sync::Location& dst,
                             const sync::SyncOptions& options,
                             const session::Session::RunOnce& once) -> StatusOr<sync::SyncReport> {
    if (src.kind != sync::Location::Kind::kRemote || dst.kind != sync::Location::Kind::kLocal) {
      return InvalidArgument("--changes syncs a bucket into a folder (s3://BUCKET DIR)");
    }
    return feed::RunWithFeed(src, dst, options, o, once);
  });
  return Status::Ok();
}

}  // namespace gwsync::cli
