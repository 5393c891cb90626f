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

#include "gwsync/doctor.h"
#include "http/request.h"
#include "s3/client.h"

namespace gwsync::doctor {

// A finding and the report are the public surface's (gwsync/doctor.h).
using Finding = gwsync::DoctorFinding;
using Report = gwsync::DoctorReport;

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
