// A bucket's settings in a backup: versioning, lifecycle, policy, ACL, CORS,
// tagging and the object-lock configuration, each kept in its own file under
// the backup's reserved folder `.gwsync/bucket/` exactly as the gateway
// returned it (policy.json, the others NAME.xml), with the bucket's name in
// `name`. A setting the bucket does
// not have has no file. The functions block their caller (never the
// transport's thread) and may be called from any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "plan/plan.h"
#include "s3/client.h"

namespace gwsync::session {

// Where the settings go, relative to the backup's root folder.
inline constexpr char kBucketSettingsDir[] = ".gwsync/bucket";
static_assert(std::string_view(kBucketSettingsDir).starts_with(plan::kReservedDir));

// A setting that could not be read or applied, by name, and why.
struct SettingProblem {
  std::string name;  // "lifecycle", ...
  std::string message;
};

// Reads each setting of `bucket` and writes those it has to
// `root/.gwsync/bucket/` (removing the files of settings it no longer has).
// Returns the settings it could not read; non-OK when the folder cannot be
// written.
StatusOr<std::vector<SettingProblem>> SaveBucketSettings(const s3::Client& client,
                                                         const std::string& bucket,
                                                         const std::string& root);

// The settings saved under `root` (empty when there are none), in the order
// they are applied: versioning and object lock first, policy and ACL last.
struct SavedSettings {
  std::vector<std::pair<std::string, std::string>> settings;  // name, body
  std::string bucket;  // the bucket they were read from ("" if unknown)
  bool object_lock() const;
};
StatusOr<SavedSettings> LoadBucketSettings(const std::string& root);

// The policy with the ARNs of bucket `from` (arn:aws:s3:::from, .../*) made
// those of `to`, so a restore under a new name is governed as the original.
std::string RenamePolicyBucket(std::string policy, const std::string& from, const std::string& to);

// The saved ACL with its owner (and the owner's grants) made the owner of
// the `current` ACL, so a bucket restored by another user keeps the other
// grants (public-read, other users) without naming an owner it no longer has.
std::string RenameAclOwner(std::string saved, const std::string& current);

// Applies `saved` to `bucket` (its policy and ACL owner renamed to it); returns the settings the
// gateway refused.
std::vector<SettingProblem> ApplyBucketSettings(const s3::Client& client, const std::string& bucket,
                                                const SavedSettings& saved);

}  // namespace gwsync::session
