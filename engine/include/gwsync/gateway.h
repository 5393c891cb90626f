// How to reach a gateway: what a program hands gwsync so that it can talk to
// an S3 endpoint (or several: the gateways of one cluster), with which keys,
// and how hard it may push. Every field may be left empty: what is missing is
// taken, in order, from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_REGION,
// AWS_CA_BUNDLE) and from s3cmd's configuration file (`config_file`, else
// ~/.s3cfg), the order the `gwsync` command follows for its flags.
// GatewayOptions is a plain value: copy it freely. A Gateway is the
// connection opened from it, for the operations of gwsync/objects.h and
// gwsync/copy.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gwsync/status.h"

namespace gwsync {

struct GatewayOptions {
  // Endpoint URLs ("http://127.0.0.1:7480", "https://s3.example"); several
  // are gateways of one cluster, used together, a failed one left aside.
  std::vector<std::string> endpoints;
  std::string access_key;
  std::string secret_key;
  std::string secret_key_file;  // the secret key as the first line of this file
  std::string signature;        // "v2", "v4", or "" (v4, unless the s3cmd file asks for v2)
  std::string region;
  std::string config_file;  // an s3cmd configuration file ("": ~/.s3cfg, when there is one)

  // Sizes are written as gwsync's flags take them: "16MiB", "50M", "4096".
  std::string part_size = "16MiB";            // multipart part size (5MiB to 5GiB)
  std::string multipart_threshold = "64MiB";  // larger objects go in parts
  std::string max_body_size;     // the largest request body a router in front lets through
  int concurrency = 0;           // requests in flight at most (0: the operation's default)
  double rps = 0;                // requests per second over all gateways (0: no limit)
  double endpoint_rps = 0;       // requests per second per gateway
  std::string bwlimit;           // bytes per second over all gateways ("": no limit)
  std::string endpoint_bwlimit;  // bytes per second per gateway
  int timeout = 60;              // seconds a request may stall before it is tried again
  // Each request must end within `timeout` plus its bytes at this rate.
  std::string min_rate = "16KiB";
  uint64_t list_limit = 0;  // keys one listing may return (0: from the bucket's own count)
  bool insecure = false;    // do not check the gateway's TLS certificate
  std::string ca_bundle;    // PEM certificates of the CAs to trust
};

// One gateway's figures so far: what a run sent it and how it answered.
struct GatewayStats {
  std::string name;  // its endpoint, as given
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t throttled = 0;  // answered "slow down" (503, 429) or another 5xx
  uint64_t timeouts = 0;
  uint64_t down_events = 0;  // times it was left aside as down
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t answered = 0;   // requests that got an HTTP status
  double latency_sum = 0;  // seconds, over answered requests
  double latency_max = 0;
  int concurrency = 0;  // the limit on requests in flight now (it adapts)
  int concurrency_min = 0;
  int concurrency_max = 0;
  bool down = false;

  double latency_avg() const { return answered ? latency_sum / answered : 0; }  // seconds
};
// Per cluster ("default", or a remote's name), its gateways' figures.
using ClusterStats = std::vector<std::pair<std::string, std::vector<GatewayStats>>>;

namespace api {
struct GatewayAccess;  // the engine's side of a Gateway
}

// The gateways of GatewayOptions, opened: the keys and settings resolved,
// the connections and their event loop (one thread of the engine's) set up.
// Every operation of gwsync/objects.h and gwsync/copy.h goes through one;
// they may be called from several threads at once, but not from inside one
// of their own callbacks.
class Gateway {
 public:
  // InvalidArgument when the options cannot work (no credentials, no
  // endpoint, a malformed size, an unreadable CA bundle); nothing is sent.
  static StatusOr<std::unique_ptr<Gateway>> Open(const GatewayOptions& options);
  // Ends what is still in flight (a request nobody waits for, such as the
  // abort after a failed upload) with kCancelled, at most two seconds after
  // the last operation, before anything it calls back into goes.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // "http://127.0.0.1:7480", ...: the gateways resolved, the first one first.
  std::vector<std::string> endpoints() const;

 private:
  struct Impl;
  friend struct api::GatewayAccess;
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwsync
