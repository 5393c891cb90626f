// gwsync feed setup|status|remove: a bucket's change feed, both halves (the
// gateway's topic and notification, the broker's exchange, queue and
// binding). Flags and printing only: feed/topic.h and feed/amqp.h do it.
#include <cstdlib>

#include "cli/commands.h"
#include "feed/amqp.h"
#include "feed/broker.h"
#include "feed/topic.h"
#include "gwsync/printable.h"

namespace gwsync::cli {
namespace {

struct FeedFlags {
  std::string bucket_url, broker_url;
  std::string exchange, queue, topic, credentials_file;
};

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

// The names a feed of `bucket` takes unless given: gwsync-BUCKET each.
struct Resolved {
  std::string bucket;
  feed::BrokerAddress broker;
  feed::BrokerCredentials credentials;
  std::string exchange, queue, topic;
};

StatusOr<Resolved> Resolve(const FeedFlags& f) {
  Resolved r;
  ASSIGN_OR_RETURN(s3::S3Url url, s3::ParseS3Url(f.bucket_url));
  if (url.bucket.empty() || !url.key.empty()) {
    return InvalidArgument("a feed covers a whole bucket: expected s3://BUCKET, got '" +
                           f.bucket_url + "'");
  }
  r.bucket = url.bucket;
  ASSIGN_OR_RETURN(r.broker, feed::ParseBrokerUrl(f.broker_url));
  ASSIGN_OR_RETURN(r.credentials, feed::ResolveBrokerCredentials(f.credentials_file, Env));
  const std::string name = "gwsync-" + r.bucket;
  r.exchange = f.exchange.empty() ? name : f.exchange;
  r.queue = f.queue.empty() ? name : f.queue;
  r.topic = f.topic.empty() ? name : f.topic;
  return r;
}

int RunSetup(const GlobalFlags& global, const FeedFlags& f) {
  auto r = Resolve(f);
  if (!r.ok()) return Fail(r.status());
  auto ctx = Context::Create(global);
  if (!ctx.ok()) return Fail(ctx.status());
  // The broker first: RGW's persistent queue keeps events until the
  // exchange exists, and a queue bound to it keeps them for gwsync.
  auto conn = feed::AmqpConnection::Open(r->broker, r->credentials);
  if (!conn.ok()) return Fail(conn.status());
  for (const Status& s :
       {(*conn)->DeclareExchange(r->exchange, "fanout"), (*conn)->DeclareQueue(r->queue).status(),
        (*conn)->Bind(r->queue, r->exchange)}) {
    if (!s.ok()) return Fail(s);
  }
  feed::TopicSpec spec{r->bucket, r->topic, r->exchange, r->broker, r->credentials};
  auto arn = feed::SetUpTopic((*ctx)->client(), spec);
  if (!arn.ok()) return Fail(arn.status());
  feed::FeedAddress address{r->broker, r->queue};
  Say(global, "topic " + *arn + ": persistent, pushing to exchange '" + r->exchange + "' at " +
                  r->broker.Url());
  Say(global, "bucket " + r->bucket + ": s3:ObjectCreated:* and s3:ObjectRemoved:* notify it");
  Say(global, "queue '" + r->queue + "' (durable) bound to exchange '" + r->exchange + "'");
  Say(global, "feed ready: gwsync sync --changes '" + address.Url() + "' s3://" + r->bucket +
                  " DIR (the first run lists the whole bucket)");
  return 0;
}

int RunStatus(const GlobalFlags& global, const FeedFlags& f) {
  auto r = Resolve(f);
  if (!r.ok()) return Fail(r.status());
  auto ctx = Context::Create(global);
  if (!ctx.ok()) return Fail(ctx.status());
  auto st = feed::GetTopicStatus((*ctx)->client(), r->bucket, r->topic);
  if (!st.ok()) return Fail(st.status());
  bool complete = !st->arn.empty() && st->persistent && st->notification;
  std::printf("topic:        %s\n", st->arn.empty() ? "none" : st->arn.c_str());
  if (!st->arn.empty()) {
    std::printf("  endpoint:   %s%s\n", Printable(st->endpoint).c_str(),
                st->persistent ? " (persistent)" : " (NOT persistent: events can be lost)");
  }
  std::printf("notification: %s\n",
              st->notification
                  ? ("'" + std::string(feed::kNotificationId) + "': " + st->events).c_str()
                  : "none");
  auto conn = feed::AmqpConnection::Open(r->broker, r->credentials);
  if (!conn.ok()) {
    std::printf("broker:       %s\n", Printable(conn.status().message()).c_str());
    return 1;
  }
  auto exists = (*conn)->ExchangeExists(r->exchange);
  std::printf("exchange:     '%s' %s\n", r->exchange.c_str(),
              exists.ok() ? (*exists ? "exists" : "missing") : exists.status().message().c_str());
  complete = complete && exists.ok() && *exists;
  auto messages = (*conn)->QueueMessages(r->queue);
  if (messages.ok()) {
    std::printf("queue:        '%s' holds %llu messages ready\n", r->queue.c_str(),
                static_cast<unsigned long long>(*messages));
  } else {
    std::printf("queue:        '%s' %s\n", r->queue.c_str(),
                messages.status().code() == StatusCode::kNotFound
                    ? "missing"
                    : messages.status().message().c_str());
    complete = false;
  }
  std::printf("feed:         %s\n", complete
                                        ? feed::FeedAddress{r->broker, r->queue}.Url().c_str()
                                        : "incomplete (gwsync feed setup makes what is missing)");
  return complete ? 0 : 1;
}

int RunRemove(const GlobalFlags& global, const FeedFlags& f) {
  auto r = Resolve(f);
  if (!r.ok()) return Fail(r.status());
  auto ctx = Context::Create(global);
  if (!ctx.ok()) return Fail(ctx.status());
  if (Status s = feed::RemoveTopic((*ctx)->client(), r->bucket, r->topic); !s.ok()) return Fail(s);
  Say(global, "bucket " + r->bucket + ": notification and topic '" + r->topic + "' removed");
  auto conn = feed::AmqpConnection::Open(r->broker, r->credentials);
  if (!conn.ok()) return Fail(conn.status());
  for (const Status& s : {(*conn)->DeleteQueue(r->queue), (*conn)->DeleteExchange(r->exchange)}) {
    if (!s.ok() && s.code() != StatusCode::kNotFound) return Fail(s);
  }
  Say(global, "queue '" + r->queue + "' and exchange '" + r->exchange + "' deleted");
  return 0;
}

void AddFeedOptions(CLI::App* cmd, FeedFlags* f) {
  cmd->add_option("bucket", f->bucket_url, "s3://BUCKET")->required();
  cmd->add_option("broker", f->broker_url,
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
    int (*fn)(const GlobalFlags&, const FeedFlags&);
  };
  for (const Sub& sub :
       {Sub{"setup", "create the topic, the bucket's notification, the exchange and the queue",
            RunSetup},
        Sub{"status", "show the feed's parts on the gateway and the broker", RunStatus},
        Sub{"remove", "remove the notification, the topic, the queue and the exchange",
            RunRemove}}) {
    auto f = std::make_shared<FeedFlags>();
    auto* cmd = feed->add_subcommand(sub.name, sub.help);
    AddFeedOptions(cmd, f.get());
    cmd->callback(
        [&flags, run, f, fn = sub.fn] { *run = [&flags, f, fn] { return fn(flags, *f); }; });
  }
}

}  // namespace gwsync::cli
