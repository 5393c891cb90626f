// Verify of an --all-versions backup (session/versions.h): what its manifest
// records of each version, checked against the backup's folder (each
// version's file where the manifest says, of its size; with `content`, its
// bytes against the version's ETag) or against a bucket's history (per key,
// ListObjectVersions oldest first: as many versions, delete markers in the
// same places, the same sizes, the same ETags where both are MD5s). The
// current versions are the ordinary verify's (an all-versions manifest as
// a side shows only them).
//
// Streams: one key's versions of each side at a time. Blocking; on the
// caller's thread.
#pragma once

#include <optional>
#include <string>

#include "plan/plan.h"
#include "s3/client.h"
#include "verify/verify.h"

namespace gwsync::verify {

struct VersionsTarget {
  std::string folder;                  // a backup's root, or
  const s3::Client* client = nullptr;  // a bucket and prefix
  std::string bucket, prefix;
};

// `manifest_is_source`: the manifest is the reference (a version it has
// and the target lacks is missing), else the copy (then it is extra).
VerifyReport VerifyVersions(const std::string& manifest_path, const VersionsTarget& target,
                            bool manifest_is_source, const plan::Filter& filter,
                            const VerifyOptions& options);

// The manifest of an --all-versions backup a side names (a folder holding
// one, a manifest file), if it is one.
std::optional<std::string> AllVersionsManifest(const std::string& path);

// `more` (a VerifyVersions report) added into `into`: its matches as
// `versions`, its differences and problems as any others.
void AddReport(VerifyReport more, VerifyReport* into);

}  // namespace gwsync::verify
