#include "sync/version_listing.h"

#include <set>

namespace gwsync::sync {

VersionLister::VersionLister(const s3::Client& client, std::string bucket, std::string prefix)
    : client_(client),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      check_(prefix_, "",
             std::make_shared<s3::ListBudget>(std::nullopt, client.options().list_limit)) {}

Status VersionLister::Fetch() {
  s3::VersionListOptions o;
  o.prefix = prefix_;
  o.key_marker = key_marker_;
  o.version_id_marker = version_marker_;
  auto page =
      s3::Wait<s3::VersionsPage>([&](auto done) { client_.ListObjectVersions(bucket_, o, done); });
  if (!page.ok()) return page.status().Annotate("listing the versions of s3://" + bucket_);
  RETURN_IF_ERROR(check_.TakeEntries(page->versions.size()));
  // The pair of markers is the page's continuation: it must be new.
  RETURN_IF_ERROR(check_.CheckMarker(page->truncated,
                                     page->next_key_marker + '\n' + page->next_version_id_marker,
                                     page->versions.empty()));
  more_ = page->truncated;
  key_marker_ = page->next_key_marker;
  version_marker_ = page->next_version_id_marker;
  page_ = std::move(page->versions);
  pos_ = 0;
  return Status::Ok();
}

StatusOr<bool> VersionLister::Next(KeyVersions* out) {
  out->key.clear();
  out->versions.clear();
  std::set<std::string> ids;
  std::string key;
  for (;;) {
    if (pos_ == page_.size()) {
      if (!more_) break;
      RETURN_IF_ERROR(Fetch());
      continue;
    }
    s3::VersionInfo& v = page_[pos_];
    if (out->versions.empty()) {
      // A new key: after every key before it, under the prefix.
      Status s = check_.CheckKey(v.key);
      if (!s.ok()) return s.Annotate("listing the versions of s3://" + bucket_);
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

}  // namespace gwsync::sync
