// Where a change feed lives: an AMQP 0.9.1 broker (RabbitMQ), named by a URL
// amqp://HOST[:PORT][/VHOST] (VHOST URL-encoded; none, or "/", is the
// default vhost "/"), and the broker user's name and password, which never
// come from the command line. Plain values: safe from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "gwsync/status.h"

namespace gwsync::feed {

struct BrokerAddress {
  std::string host;
  int port = 5672;
  std::string vhost = "/";
  // amqp://HOST:PORT/VHOST with the vhost encoded again: what gwsync prints
  // and what RGW is given as the push endpoint (without credentials).
  std::string Url() const;
};

// InvalidArgument naming the problem: not amqp://, a user or password in
// the URL (they would show in `ps` and in logs), a bad port.
StatusOr<BrokerAddress> ParseBrokerUrl(const std::string& url);

struct BrokerCredentials {
  std::string user = "guest";  // RabbitMQ's default (loopback only)
  std::string password = "guest";
  bool given = false;  // false: the default, not the operator's
};

// From `file` when given (one line "USER:PASSWORD", or two lines: user,
// then password), else GWSYNC_AMQP_USER and GWSYNC_AMQP_PASSWORD, else
// RabbitMQ's default guest/guest. `env` looks variables up (a seam).
StatusOr<BrokerCredentials> ResolveBrokerCredentials(
    const std::string& file, const std::function<std::optional<std::string>(const char*)>& env);

// A feed as `sync --changes` names it: amqp://HOST[:PORT][/VHOST]?queue=Q.
struct FeedAddress {
  BrokerAddress broker;
  std::string queue;
  std::string Url() const;  // in the same form
};
StatusOr<FeedAddress> ParseFeedUrl(const std::string& url);

}  // namespace gwsync::feed
