// A bucket's change feed: what `gwsync feed setup|status|remove` does, and
// what `gwsync sync --changes` then reads. It has two halves: on the
// gateway, a persistent topic pushing to an AMQP exchange and the bucket's
// notification (kFeedNotificationId) of s3:ObjectCreated:* and
// s3:ObjectRemoved:* to it; on the broker (RabbitMQ), that exchange and a
// durable queue bound to it. Each call blocks its thread until the gateway
// and the broker have answered; its callback runs on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

// The notification's id in the bucket's configuration: gwsync's own, so
// that RemoveFeed takes away nothing another tool configured.
inline constexpr char kFeedNotificationId[] = "gwsync-feed";

struct FeedRequest {
  std::string bucket;  // s3://BUCKET: a feed covers a whole bucket
  // The broker as both the gateway and gwsync reach it:
  // amqp://HOST[:PORT][/VHOST], with no user or password in it.
  std::string broker;
  std::string exchange;  // the broker's exchange ("": gwsync-BUCKET)
  std::string queue;     // the broker's durable queue ("": gwsync-BUCKET)
  std::string topic;     // the gateway's topic ("": gwsync-BUCKET)
  // The broker's user and password: "USER:PASSWORD" on the first line, or
  // the user and the password on two. "": GWSYNC_AMQP_USER and
  // GWSYNC_AMQP_PASSWORD, else RabbitMQ's guest/guest.
  std::string credentials_file;
};

// A feed's parts as named: the request with its defaults filled in.
struct FeedNames {
  std::string bucket;
  std::string broker;  // amqp://HOST:PORT/VHOST, as the gateway is given it
  std::string exchange;
  std::string queue;
  std::string topic;
  std::string feed;  // what sync --changes takes: amqp://HOST:PORT/VHOST?queue=QUEUE
};

// The checks that need neither the gateway nor the broker: InvalidArgument
// for a bucket that is not s3://BUCKET or a broker URL that is not
// amqp://... (or holds a user or password); an error for an unreadable
// credentials file.
StatusOr<FeedNames> CheckFeed(const FeedRequest& request);

struct FeedSetupResult {
  FeedNames names;
  std::string topic_arn;
};

// Declares the broker's durable exchange (fanout) and queue and binds them,
// then creates the topic (or updates it) and sets the bucket's notification:
// the broker first, so that the first event has a queue to land in. Safe to
// run again: each step is idempotent. FailedPrecondition when
// another topic on the same broker names another exchange (RGW would not
// deliver this one's events); a gateway that refuses a broker password over
// plain HTTP is explained.
StatusOr<FeedSetupResult> SetUpFeed(const Gateway& gateway, const FeedRequest& request);

// The gateway's half as the gateway has it.
struct FeedTopicStatus {
  std::string arn;       // "" when there is no such topic
  std::string endpoint;  // the push endpoint RGW has, without secrets
  bool persistent = false;
  bool notification = false;  // the bucket notifies the topic under kFeedNotificationId
  std::string events;         // the events it notifies, comma-separated
};

struct FeedStatus {
  FeedNames names;
  FeedTopicStatus topic;
  // "" when the broker was reached; else why not, and nothing below is known.
  std::string broker_error;
  bool exchange_exists = false;
  std::string exchange_error;  // "" when the broker answered whether it exists
  bool queue_exists = false;
  uint64_t queue_messages = 0;  // ready, not taken
  std::string queue_error;      // "" when the broker answered (a missing queue is no error)
  // Every part there: what sync --changes needs.
  bool complete() const {
    return !topic.arn.empty() && topic.persistent && topic.notification && broker_error.empty() &&
           exchange_error.empty() && exchange_exists && queue_error.empty() && queue_exists;
  }
};

// Looks at each part. An error when the gateway cannot be asked; a broker
// that cannot be reached is in FeedStatus::broker_error instead.
StatusOr<FeedStatus> GetFeedStatus(const Gateway& gateway, const FeedRequest& request);

// Removes gwsync's notification from the bucket and the topic, then the
// broker's queue and exchange; what is already gone is no error.
// `on_gateway_removed`, when set, is called once the gateway's half is gone,
// before the broker is reached.
StatusOr<FeedNames> RemoveFeed(
    const Gateway& gateway, const FeedRequest& request,
    const std::function<void(const FeedNames&)>& on_gateway_removed = nullptr);

}  // namespace gwsync
