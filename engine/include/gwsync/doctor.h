// Probing a gateway: what `gwsync doctor` does. It asks what the gateway
// supports (signatures, listing versions, bucket names, multipart, ranged
// and part-number GETs, the largest body a proxy in front of it accepts,
// its clock) in a scratch bucket it creates and removes, and says what
// gwsync will use. ExamineGateway blocks its thread for a few seconds; its
// callbacks run on that thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

struct DoctorFinding {
  std::string topic;  // "signature v4"
  bool supported = false;
  std::string detail;  // what was seen
};

struct DoctorRequest {
  // The gateway to probe ("http://127.0.0.1:7480"); "": the first of
  // GatewayOptions (its endpoints, AWS_ENDPOINT_URL, ~/.s3cfg).
  std::string endpoint;
  std::string max_body = "64MiB";  // the largest PUT body tried
  // The gateway's URL, once resolved, before the first probe.
  std::function<void(const std::string& endpoint)> on_start;
  // Each finding as it is made.
  std::function<void(const DoctorFinding&)> on_finding;
};

struct DoctorReport {
  std::vector<DoctorFinding> findings;
  // What gwsync will do with this gateway, one line each.
  std::vector<std::string> uses;
  // Empty when gwsync can work with it; else why not (no signature
  // accepted: the keys; no scratch bucket: the user's rights).
  std::string unusable;
};

// Unavailable when the gateway cannot be reached at all; InvalidArgument
// for options that cannot work; otherwise a report, with what failed among
// its findings. Each probe is tried twice at most: an answer is a
// measurement. Removes what it created.
StatusOr<DoctorReport> ExamineGateway(const GatewayOptions& gateway, const DoctorRequest& request);

}  // namespace gwsync
