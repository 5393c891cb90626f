// gwsync feed setup|status|remove: a bucket's change feed, both halves (the
// gateway's topic and notification, the broker's exchange, queue and
// binding). Flags and printing only: the library does it (gwsync/feed.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/app.h"
#include "gwsync/feed.h"
#include "gwsync/printable.h"

namespace gwsync::cli {
namespace {

// The request checked before the gateway is opened: a mistyped URL is
// said first, whatever the gateway flags.
StatusOr<std::unique_ptr<Gateway>> Open(const GlobalFlags& global, const FeedRequest& f) {
  RETURN_IF_ERROR(CheckFeed(f).status());
  return OpenGateway(global);
}

int RunSetup(const GlobalFlags& global, const FeedRequest& f) {
  auto gateway = Open(global, f);
  if (!gateway.ok()) return Fail(gateway.status());
  auto done = SetUpFeed(**gateway, f);
  if (!done.ok()) return Fail(done.status());
  const FeedNames& n = done->names;
  Say(global, "topic " + done->topic_arn + ": persistent, pushing to exchange '" + n.exchange +
                  "' at " + n.broker);
  Say(global, "bucket " + n.bucket + ": s3:ObjectCreated:* and s3:ObjectRemoved:* notify it");
  Say(global, "queue '" + n.queue + "' (durable) bound to exchange '" + n.exchange + "'");
  Say(global, "feed ready: gwsync sync --changes '" + n.feed + "' s3://" + n.bucket +
                  " DIR (the first run lists the whole bucket)");
  return 0;
}

void PrintBroker(const FeedStatus& st) {
  const FeedNames& n = st.names;
  std::printf("exchange:     '%s' %s\n", n.exchange.c_str(),
              st.exchange_error.empty() ? (st.exchange_exists ? "exists" : "missing")
                                        : st.exchange_error.c_str());
  if (st.queue_exists) {
    std::printf("queue:        '%s' holds %llu messages ready\n", n.queue.c_str(),
                static_cast<unsigned long long>(st.queue_messages));
  } else {
    std::printf("queue:        '%s' %s\n", n.queue.c_str(),
                st.queue_error.empty() ? "missing" : st.queue_error.c_str());
  }
  std::printf("feed:         %s\n", st.complete()
                                        ? n.feed.c_str()
                                        : "incomplete (gwsync feed setup makes what is missing)");
}

int RunStatus(const GlobalFlags& global, const FeedRequest& f) {
  auto gateway = Open(global, f);
  if (!gateway.ok()) return Fail(gateway.status());
  auto st = GetFeedStatus(**gateway, f);
  if (!st.ok()) return Fail(st.status());
  const FeedTopicStatus& t = st->topic;
  std::printf("topic:        %s\n", t.arn.empty() ? "none" : t.arn.c_str());
  if (!t.arn.empty()) {
    std::printf("  endpoint:   %s%s\n", Printable(t.endpoint).c_str(),
                t.persistent ? " (persistent)" : " (NOT persistent: events can be lost)");
  }
  std::printf("notification: %s\n",
              t.notification ? ("'" + std::string(kFeedNotificationId) + "': " + t.events).c_str()
                             : "none");
  if (!st->broker_error.empty()) {
    std::printf("broker:       %s\n", Printable(st->broker_error).c_str());
    return 1;
  }
  PrintBroker(*st);
  return st->complete() ? 0 : 1;
}

int RunRemove(const GlobalFlags& global, const FeedRequest& f) {
  auto gateway = Open(global, f);
  if (!gateway.ok()) return Fail(gateway.status());
  auto removed = RemoveFeed(**gateway, f, [&](const FeedNames& n) {
    Say(global, "bucket " + n.bucket + ": notification and topic '" + n.topic + "' removed");
  });
  if (!removed.ok()) return Fail(removed.status());
  Say(global, "queue '" + removed->queue + "' and exchange '" + removed->exchange + "' deleted");
  return 0;
}

void AddFeedOptions(CLI::App* cmd, FeedRequest* f) {
  cmd->add_option("bucket", f->bucket, "s3://BUCKET")->required();
  cmd->add_option("broker", f->broker,
                  "the broker as the gateway and gwsync reach it: amqp://HOST[:PORT][/VHOST]")
      ->required();
  cmd->add_option("--exchange", f->exchange, "the broker's exchange (default gwsync-BUCKET)")
      ->type_name("NAME");
  cmd->add_option("--queue", f->queue, "the broker's durable queue (default gwsync-BUCKET)")
      ->type_name("NAME");
  cmd->add_option("--topic", f->topic, "the gateway's topic (default gwsync-BUCKET)")
      ->type_name("NAME");
  cmd->add_option("--broker-credentials", f->credentials_file,
                  "the broker's user and password, USER:PASSWORD on the first line (else "
                  "GWSYNC_AMQP_USER and GWSYNC_AMQP_PASSWORD, else guest)")
      ->type_name("FILE");
}

}  // namespace

void AddFeedCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto* feed = app.add_subcommand("feed", "a bucket's change feed for sync --changes");
  feed->require_subcommand(1);
  struct Sub {
    const char* name;
    const char* help;
    int (*fn)(const GlobalFlags&, const FeedRequest&);
  };
  for (const Sub& sub :
       {Sub{"setup", "create the topic, the bucket's notification, the exchange and the queue",
            RunSetup},
        Sub{"status", "show the feed's parts on the gateway and the broker", RunStatus},
        Sub{"remove", "remove the notification, the topic, the queue and the exchange",
            RunRemove}}) {
    auto f = std::make_shared<FeedRequest>();
    auto* cmd = feed->add_subcommand(sub.name, sub.help);
    AddFeedOptions(cmd, f.get());
    cmd->callback(
        [&flags, run, f, fn = sub.fn] { *run = [&flags, f, fn] { return fn(flags, *f); }; });
  }
}

}  // namespace gwsync::cli
