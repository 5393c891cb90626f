#include "session/bucket_settings.h"

#include "fileio/state_dir.h"

namespace gwsync::session {
namespace {

struct Setting {
  const char* name;  // the subresource
  const char* file;
};

// In the order a restore applies them: object lock needs versioning; a
// policy or ACL that denies writes must come after everything else.
constexpr Setting kSettings[] = {
    {"versioning", "versioning.xml"},
    {"object-lock", "object-lock.xml"},
    {"lifecycle", "lifecycle.xml"},
    {"cors", "cors.xml"},
    {"tagging", "tagging.xml"},
    {"policy", "policy.json"},
    {"acl", "acl.xml"},
};

constexpr char kNameFile[] = "name";

// A bucket whose versioning was never set answers an empty
// <VersioningConfiguration/>: that is no setting to keep.
bool HasSetting(const std::string& name, const std::string& body) {
  if (name == "versioning") {
    return body.find("<Status>") != std::string::npos ||
           body.find("<MfaDelete>") != std::string::npos;
  }
  if (name == "tagging") return body.find("<Tag>") != std::string::npos;
  return !body.empty();
}

}  // namespace

std::string RenamePolicyBucket(std::string policy, const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return policy;
  const std::string arn = "arn:aws:s3:::";
  for (size_t at = policy.find(arn + from); at != std::string::npos;
       at = policy.find(arn + from, at)) {
    size_t end = at + arn.size() + from.size();
    // The bucket's own ARN ends there ("...:::b" or "...:::b/*"), not "...:::b2".
    if (end == policy.size() || policy[end] == '"' || policy[end] == '/') {
      policy.replace(at + arn.size(), from.size(), to);
      end = at + arn.size() + to.size();
    }
    at = end;
  }
  return policy;
}

namespace {

// The text of the first <TAG> after `from`'s <Owner>, or "".
std::string OwnerField(const std::string& acl, const std::string& tag) {
  size_t owner = acl.find("<Owner>");
  if (owner == std::string::npos) return "";
  size_t open = acl.find("<" + tag + ">", owner), end = acl.find("</Owner>", owner);
  if (open == std::string::npos || open > end) return "";
  open += tag.size() + 2;
  size_t close = acl.find("</" + tag + ">", open);
  return close == std::string::npos ? "" : acl.substr(open, close - open);
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

}  // namespace

std::string RenameAclOwner(std::string saved, const std::string& current) {
  std::string old_id = OwnerField(saved, "ID"), new_id = OwnerField(current, "ID");
  if (old_id.empty() || new_id.empty() || old_id == new_id) return saved;
  ReplaceAll(&saved, "<ID>" + old_id + "</ID>", "<ID>" + new_id + "</ID>");
  std::string old_name = OwnerField(saved, "DisplayName");
  std::string new_name = OwnerField(current, "DisplayName");
  if (!old_name.empty()) {
    ReplaceAll(&saved, "<DisplayName>" + old_name + "</DisplayName>",
               "<DisplayName>" + new_name + "</DisplayName>");
  }
  return saved;
}

bool SavedSettings::object_lock() const {
  for (const auto& [name, body] : settings) {
    if (name == "object-lock") return true;
  }
  return false;
}

StatusOr<std::vector<SettingProblem>> SaveBucketSettings(const s3::Client& client,
                                                         const std::string& bucket,
                                                         const std::string& root) {
  std::vector<SettingProblem> problems;
  std::vector<std::pair<std::string, std::string>> write;  // file, body
  std::vector<std::string> remove;
  for (const Setting& s : kSettings) {
    auto body = s3::Wait<std::string>(
        [&](auto done) { client.GetBucketSubresource(bucket, s.name, done); });
    // Not set (NoSuchLifecycleConfiguration, ...), or a setting this gateway
    // does not implement at all: either way the bucket has none.
    const Status& why = body.status();
    bool absent =
        !body.ok() && ((why.code() == StatusCode::kNotFound && why.s3_code() != "NoSuchBucket") ||
                       why.http_status() == 501 || why.s3_code() == "NotImplemented");
    if (!body.ok() && !absent) {
      problems.push_back({s.name, why.message()});
      continue;  // keep what an earlier backup saved
    }
    if (absent || !HasSetting(s.name, *body)) {
      remove.push_back(s.file);
    } else {
      write.emplace_back(s.file, std::move(*body));
    }
  }
  // A bucket with no settings at all (or a gateway with none) leaves no folder.
  if (write.empty()) {
    remove.push_back(kNameFile);
  } else {
    // A restore under another name points the policy at the new bucket.
    write.emplace_back(kNameFile, bucket + "\n");
  }
  auto folder = fileio::StateDir::Open(root, kBucketSettingsDir, !write.empty());
  if (!folder.ok()) {
    if (write.empty() && folder.status().code() == StatusCode::kNotFound) return problems;
    return folder.status();
  }
  for (const auto& [file, body] : write) RETURN_IF_ERROR(folder->WriteFile(file, body));
  for (const auto& file : remove) folder->Remove(file);
  return problems;
}

StatusOr<SavedSettings> LoadBucketSettings(const std::string& root) {
  SavedSettings saved;
  auto folder = fileio::StateDir::Open(root, kBucketSettingsDir, false);
  if (!folder.ok()) {
    if (folder.status().code() == StatusCode::kNotFound) return saved;  // none kept
    return folder.status();
  }
  // Far more than any gateway accepts for one setting.
  constexpr size_t kLimit = 16 << 20;
  for (const Setting& s : kSettings) {
    auto body = folder->ReadFile(s.file, kLimit);
    if (!body.ok() && body.status().code() == StatusCode::kNotFound) continue;
    if (!body.ok()) return body.status();
    saved.settings.emplace_back(s.name, std::move(*body));
  }
  auto name = folder->ReadFile(kNameFile, 4096);
  if (name.ok()) saved.bucket = name->substr(0, name->find('\n'));
  return saved;
}

std::vector<SettingProblem> ApplyBucketSettings(const s3::Client& client, const std::string& bucket,
                                                const SavedSettings& saved) {
  std::vector<SettingProblem> refused;
  for (const auto& setting : saved.settings) {
    // Named, not a structured binding: a lambda below captures it.
    const std::string& name = setting.first;
    std::string body = setting.second;
    if (name == "policy") body = RenamePolicyBucket(body, saved.bucket, bucket);
    if (name == "acl") {
      // Restored by another user (or on another cluster): the bucket's owner
      // is now the one who created it; the gateway refuses an ACL naming
      // another.
      auto current = s3::Wait<std::string>(
          [&](auto done) { client.GetBucketSubresource(bucket, "acl", done); });
      if (current.ok()) body = RenameAclOwner(body, *current);
    }
    Status s =
        s3::WaitStatus([&](auto done) { client.PutBucketSubresource(bucket, name, body, done); });
    if (!s.ok()) refused.push_back({name, s.message()});
  }
  return refused;
}

}  // namespace gwsync::session
