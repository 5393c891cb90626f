#include "gwsync/sync.h"

namespace gwsync {

int SyncReport::ExitCode() const {
  if (error_count == 0) return 0;
  uint64_t done = 0;  // copied, deleted, or found in sync
  for (const auto& [name, tally] : actions) done += tally.objects;
  return done > 0 ? kExitPartial : 1;
}

void SyncReport::AddError(std::string key, std::string message) {
  ++error_count;
  if (errors.size() < kMaxErrorsKept) errors.emplace_back(std::move(key), std::move(message));
}

void SyncReport::AddNotice(std::string key, std::string message) {
  ++notice_count;
  if (notices.size() < kMaxErrorsKept) notices.emplace_back(std::move(key), std::move(message));
}

void SyncReport::AddUnverified(std::string key, std::string why) {
  ++unverified_count;
  if (unverified.size() < kMaxErrorsKept) unverified.emplace_back(std::move(key), std::move(why));
}

void SyncReport::Add(const SyncReport& other, const std::string& bucket) {
  for (const auto& [name, t] : other.actions) {
    Tally& mine = actions[name];
    mine.objects += t.objects;
    mine.bytes += t.bytes;
  }
  for (const auto& [key, msg] : other.errors) AddError(key, msg);
  error_count += other.error_count - other.errors.size();
  for (const auto& [key, msg] : other.notices) AddNotice(key, msg);
  notice_count += other.notice_count - other.notices.size();
  for (const auto& [key, why] : other.unverified) AddUnverified(key, why);
  unverified_count += other.unverified_count - other.unverified.size();
  key_store_count += other.key_store_count;
  manifest_names_in_source += other.manifest_names_in_source;
  deletes_refused += other.deletes_refused;
  manifests.insert(manifests.end(), other.manifests.begin(), other.manifests.end());
  manifests_removed += other.manifests_removed;
  uploads_aborted += other.uploads_aborted;
  for (const auto& why : other.delete_refusals) {
    delete_refusals.push_back(bucket.empty() ? why : "bucket " + bucket + ": " + why);
  }
  // (other.error_count counts its refusals already.)
  interrupted = interrupted || other.interrupted;
  source_objects += other.source_objects;
  destination_objects += other.destination_objects;
}

}  // namespace gwsync
