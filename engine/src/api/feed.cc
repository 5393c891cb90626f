// gwsync::SetUpFeed, GetFeedStatus and RemoveFeed (gwsync/feed.h): the
// request's names resolved, then feed/topic.h on the Gateway's client for
// the gateway's half and feed/amqp.h for the broker's.
#include "gwsync/feed.h"

#include "api/gateway_impl.h"
#include "api/resolve.h"
#include "feed/amqp.h"
#include "feed/broker.h"
#include "feed/topic.h"
#include "s3/url.h"

namespace gwsync {
namespace {

// The names a feed of `bucket` takes unless given (gwsync-BUCKET each), and
// the broker as the engine addresses it.
struct Resolved {
  FeedNames names;
  feed::BrokerAddress broker;
  feed::BrokerCredentials credentials;
};

StatusOr<Resolved> Resolve(const FeedRequest& request) {
  Resolved r;
  ASSIGN_OR_RETURN(s3::S3Url url, s3::ParseS3Url(request.bucket));
  if (url.bucket.empty() || !url.key.empty()) {
    return InvalidArgument("a feed covers a whole bucket: expected s3://BUCKET, got '" +
                           request.bucket + "'");
  }
  ASSIGN_OR_RETURN(r.broker, feed::ParseBrokerUrl(request.broker));
  ASSIGN_OR_RETURN(r.credentials,
                   feed::ResolveBrokerCredentials(request.credentials_file, api::Environment));
  FeedNames& n = r.names;
  n.bucket = url.bucket;
  const std::string name = "gwsync-" + n.bucket;
  n.exchange = request.exchange.empty() ? name : request.exchange;
  n.queue = request.queue.empty() ? name : request.queue;
  n.topic = request.topic.empty() ? name : request.topic;
  n.broker = r.broker.Url();
  n.feed = feed::FeedAddress{r.broker, n.queue}.Url();
  return r;
}

// The broker's half of `status`, asked on an open connection.
void AskBroker(feed::AmqpConnection& conn, FeedStatus* st) {
  auto exists = conn.ExchangeExists(st->names.exchange);
  if (exists.ok()) {
    st->exchange_exists = *exists;
  } else {
    st->exchange_error = exists.status().message();
  }
  auto messages = conn.QueueMessages(st->names.queue);
  if (messages.ok()) {
    st->queue_exists = true;
    st->queue_messages = *messages;
  } else if (messages.status().code() != StatusCode::kNotFound) {
    st->queue_error = messages.status().message();
  }
}

}  // namespace

StatusOr<FeedNames> CheckFeed(const FeedRequest& request) {
  ASSIGN_OR_RETURN(Resolved r, Resolve(request));
  return std::move(r.names);
}

StatusOr<FeedSetupResult> SetUpFeed(const Gateway& gateway, const FeedRequest& request) {
  ASSIGN_OR_RETURN(Resolved r, Resolve(request));
  const FeedNames& n = r.names;
  // The broker first: RGW's persistent queue keeps events until the
  // exchange exists, and a queue bound to it keeps them for gwsync.
  ASSIGN_OR_RETURN(auto conn, feed::AmqpConnection::Open(r.broker, r.credentials));
  for (const Status& s : {conn->DeclareExchange(n.exchange, "fanout"),
                          conn->DeclareQueue(n.queue).status(), conn->Bind(n.queue, n.exchange)}) {
    if (!s.ok()) return s;
  }
  feed::TopicSpec spec{n.bucket, n.topic, n.exchange, r.broker, r.credentials};
  ASSIGN_OR_RETURN(std::string arn, feed::SetUpTopic(api::GatewayAccess::Client(gateway), spec));
  return FeedSetupResult{std::move(r.names), std::move(arn)};
}

StatusOr<FeedStatus> GetFeedStatus(const Gateway& gateway, const FeedRequest& request) {
  ASSIGN_OR_RETURN(Resolved r, Resolve(request));
  FeedStatus st;
  st.names = std::move(r.names);
  ASSIGN_OR_RETURN(st.topic, feed::GetTopicStatus(api::GatewayAccess::Client(gateway),
                                                  st.names.bucket, st.names.topic));
  auto conn = feed::AmqpConnection::Open(r.broker, r.credentials);
  if (!conn.ok()) {
    st.broker_error = conn.status().message();
    return st;
  }
  AskBroker(**conn, &st);
  return st;
}

StatusOr<FeedNames> RemoveFeed(const Gateway& gateway, const FeedRequest& request,
                               const std::function<void(const FeedNames&)>& on_gateway_removed) {
  ASSIGN_OR_RETURN(Resolved r, Resolve(request));
  const FeedNames& n = r.names;
  RETURN_IF_ERROR(feed::RemoveTopic(api::GatewayAccess::Client(gateway), n.bucket, n.topic));
  if (on_gateway_removed) on_gateway_removed(n);
  ASSIGN_OR_RETURN(auto conn, feed::AmqpConnection::Open(r.broker, r.credentials));
  for (const Status& s : {conn->DeleteQueue(n.queue), conn->DeleteExchange(n.exchange)}) {
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  return std::move(r.names);
}

}  // namespace gwsync
