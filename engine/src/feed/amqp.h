// A blocking AMQP 0.9.1 connection to one broker (rabbitmq-c underneath):
// the few operations the change feed needs, each mapped onto Status. One
// channel; a channel the broker closes (a queue that is not there) is opened
// again for the next call. No heartbeats: a run may spend long between two
// calls. Not thread-safe: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "feed/broker.h"
#include "gwsync/status.h"

namespace gwsync::feed {

// What a consumer receives.
struct Delivery {
  uint64_t tag = 0;
  std::string body;
  std::string type;        // the message's type property ("" for RGW's events)
  std::string message_id;  // its message-id property
  bool redelivered = false;
};

class AmqpConnection {
 public:
  // Connects and logs in. Unavailable when the broker cannot be reached,
  // PermissionDenied when it refuses the user (both name the broker).
  static StatusOr<std::unique_ptr<AmqpConnection>> Open(
      const BrokerAddress& broker, const BrokerCredentials& credentials,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  // A durable exchange of `type` ("fanout").
  Status DeclareExchange(const std::string& name, const std::string& type);
  Status DeleteExchange(const std::string& name);
  // A durable queue; returns the messages it holds (ready, not taken).
  StatusOr<uint64_t> DeclareQueue(const std::string& name);
  // The queue's ready messages, or NotFound when there is no such queue.
  StatusOr<uint64_t> QueueMessages(const std::string& name);
  // Whether the exchange exists.
  StatusOr<bool> ExchangeExists(const std::string& name);
  Status Bind(const std::string& queue, const std::string& exchange);
  Status DeleteQueue(const std::string& name);
  Status Purge(const std::string& queue);

  // Publishes a persistent message straight into `queue` (the default
  // exchange) and waits for the broker's confirm: once this returns OK the
  // message is in the queue. Use a connection that consumes nothing.
  Status PublishConfirmed(const std::string& queue, const std::string& type,
                          const std::string& message_id, const std::string& body);

  // Starts taking messages from `queue`, at most `prefetch` unacknowledged.
  Status Consume(const std::string& queue, int prefetch);
  // The next delivery, or nullopt when none came within `wait`.
  StatusOr<std::optional<Delivery>> Next(std::chrono::milliseconds wait);
  Status Ack(uint64_t tag, bool multiple = false);
  // Gives the message back to the queue, where it is delivered again.
  Status Requeue(uint64_t tag);

  const BrokerAddress& broker() const { return broker_; }

 private:
  struct Impl;
  AmqpConnection(BrokerAddress broker, std::unique_ptr<Impl> impl);
  BrokerAddress broker_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwsync::feed
