#include "api/sync_feed.h"

#include <cstdlib>

#include "feed/feed_run.h"

namespace gwsync::api {

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

Status InstallFeedDriver(const SyncRequest::Feed& f, bool index_enabled, bool dry_run,
                         session::Session* session) {
  if (f.heartbeat_every && !f.follow) return InvalidArgument("--heartbeat-every needs --follow");
  if (f.changes.empty()) {
    if (f.batch) return InvalidArgument("--feed-batch needs --changes FEED");
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
  if (f.batch) {
    if (*f.batch < 1 || *f.batch > 100000) {
      return InvalidArgument("--feed-batch: " + std::to_string(*f.batch) + " is not in 1..100000");
    }
    o.batch = *f.batch;
  }
  ASSIGN_OR_RETURN(o.heartbeat_every, ParseDuration(f.heartbeat_every.value_or("1h")));
  o.on_batch = f.on_batch;
  o.on_notice = f.on_notice;
  o.on_progress = f.on_progress;
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

}  // namespace gwsync::api
