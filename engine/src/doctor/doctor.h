// `gwsync doctor`: probes one gateway for what it supports (signatures,
// listing versions, bucket names, multipart, ranged and part-number GETs,
// the largest body a proxy in front of it accepts, its clock) in a scratch
// bucket it creates and removes. Blocking; call it from any thread but the
// transport's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/request.h"
#include "s3/client.h"

namespace gwsync::doctor {

struct Finding {
  std::string topic;  // "signature v4"
  bool supported = false;
  std::string detail;  // what was seen
};

struct Report {
  std::vector<Finding> findings;
  // What gwsync will do with this gateway, one line each.
  std::vector<std::string> uses;
  // Empty when gwsync can work with it; else why not (no signature
  // accepted: the keys; no scratch bucket: the user's rights).
  std::string unusable;
};

struct Options {
  s3::ClientOptions client;          // the gateway and keys (its signature is the preferred one)
  uint64_t max_body = 64ull << 20;   // largest PUT body tried
  uint64_t part_size = 16ull << 20;  // gwsync's --part-size, for the advice
  std::string scratch_bucket;        // "": a fresh name
  // Called with each finding as it is made (the probe takes a few seconds).
  std::function<void(const Finding&)> on_finding;
};

// Unavailable when the gateway cannot be reached at all; otherwise a report,
// with what failed among its findings. Removes what it created.
StatusOr<Report> Examine(http::Transport* transport, const Options& options);

}  // namespace gwsync::doctor
