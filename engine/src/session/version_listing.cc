#include "session/version_listing.h"

#include <set>

namespace gwsync::session {

VersionLister::VersionLister(const s3::Client& client, std::string bucket, std::string prefix)
    : bucket_(std::move(bucket)), prefix_(std::move(prefix)), listing_(client, bucket_, prefix_) {}

StatusOr<bool> VersionLister::Next(KeyVersions* out) {
  out->key.clear();
  out->versions.clear();
  std::set<std::string> ids;
  std::string key;
  for (;;) {
    if (pos_ == page_.versions.size()) {
      // Checked whole: its keys in order after every key before them,
      // under the prefix, within the budget; its markers new.
      ASSIGN_OR_RETURN(bool more, listing_.Next(&page_));
      if (!more) break;
      pos_ = 0;
      continue;
    }
    s3::VersionInfo& v = page_.versions[pos_];
    if (out->versions.empty()) {
      key = v.key;
    } else if (v.key != key) {
      break;  // the next key's, left for the next call
    }
    auto broken = [&](const std::string& why) {
      return Internal("the gateway listed the versions of s3://" + bucket_ + "/" + key + " " + why +
                      ": the listing stops there");
    };
    if (v.is_latest && !out->versions.empty()) {
      return broken("with the latest one after an older one");
    }
    if (!ids.insert(v.version_id).second) {
      return broken("with version " + v.version_id + " twice");
    }
    if (out->versions.size() >= kMaxVersionsPerKey) {
      return broken("with more than " + std::to_string(kMaxVersionsPerKey) + " versions");
    }
    out->versions.push_back(std::move(v));
    ++pos_;
  }
  if (out->versions.empty()) return false;
  out->key = key.substr(prefix_.size());
  return true;
}

StatusOr<HistoryCount> CountHistory(const s3::Client& client, const std::string& bucket,
                                    const std::string& prefix) {
  VersionLister lister(client, bucket, prefix);
  HistoryCount count;
  KeyVersions k;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, lister.Next(&k));
    if (!more) return count;
    for (const auto& v : k.versions) {
      if (v.delete_marker) {
        count.delete_markers++;
      } else if (!v.is_latest) {
        count.noncurrent++;
      }
    }
  }
}

}  // namespace gwsync::session
