// The gateway's half of a change feed: a persistent topic whose push
// endpoint is an AMQP exchange, and the bucket's notification configuration
// sending s3:ObjectCreated:* and s3:ObjectRemoved:* to it. RGW serves the
// SNS-style topic API on its S3 endpoint. Blocking calls; any thread that
// is not the client's transport thread.
#pragma once

#include <string>

#include "feed/broker.h"
#include "gwsync/feed.h"
#include "s3/client.h"

namespace gwsync::feed {

// The notification's id in the bucket's configuration: the public
// surface's (gwsync/feed.h), gwsync's own.
inline constexpr const char* kNotificationId = gwsync::kFeedNotificationId;

struct TopicSpec {
  std::string bucket;
  std::string topic;     // the topic's name
  std::string exchange;  // where RGW publishes
  BrokerAddress broker;  // as the gateway reaches the broker
  // When given, RGW is handed the broker's user and password in the push
  // endpoint; RGW 16.2 refuses that over plain HTTP.
  BrokerCredentials credentials;
};

// Creates (or updates: CreateTopic is idempotent) the topic and sets the
// bucket's notification configuration. Returns the topic's ARN. A refusal
// to store a broker password over plain HTTP is explained, not hidden.
// FailedPrecondition when another topic on the same broker (host, port,
// vhost) names another exchange: RGW would never deliver this one's events.
StatusOr<std::string> SetUpTopic(const s3::Client& client, const TopicSpec& spec);

// The topic and notification as the gateway has them (gwsync/feed.h).
using TopicStatus = gwsync::FeedTopicStatus;
StatusOr<TopicStatus> GetTopicStatus(const s3::Client& client, const std::string& bucket,
                                     const std::string& topic);

// Removes gwsync's notification from the bucket and deletes the topic; what
// is already gone is no error.
Status RemoveTopic(const s3::Client& client, const std::string& bucket, const std::string& topic);

}  // namespace gwsync::feed
