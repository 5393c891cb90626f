// Verify of a whole gateway: every bucket of s3:// (or REMOTE:) against a
// folder holding one sub-folder per bucket (what `gwsync sync s3:// DIR`
// leaves), or against another cluster's every bucket. Buckets are paired
// by name; one only on one side is reported whole ("BUCKET/" missing or
// extra), the others are verified one after the other, their keys named
// "BUCKET/KEY". Used from the caller's thread.
#pragma once

#include <string>

#include "plan/plan.h"
#include "session/session.h"
#include "verify/verify.h"

namespace gwsync::verify {

// True when `arg` names every bucket of a cluster (s3://, REMOTE:).
bool IsEveryBucket(const std::string& arg, const session::Session& session);

// `src` or `dst` (or both) name every bucket; the other a folder or every
// bucket. InvalidArgument for other pairs, an error when the bucket list or
// the folder cannot be read.
StatusOr<VerifyReport> VerifyEveryBucket(const std::string& src, const std::string& dst,
                                         session::Session& session, const plan::Filter& filter,
                                         const VerifyOptions& options);

}  // namespace gwsync::verify
