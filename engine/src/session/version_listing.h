// The history of a versioned bucket's keys, one key at a time: every version
// and delete marker under a prefix, from the pages of an s3::VersionListing
// (s3/listing.h), each checked whole before any of its keys is handed on:
// keys ascending and under the prefix, a marker never seen before, at most
// 16 empty truncated pages in a row, every entry within the list budget.
// Per key: its versions newest first with the latest one first, no version
// ID twice, at most kMaxVersionsPerKey of them. A rule broken ends the
// listing with an error saying what the gateway did.
//
// Memory: one page and one key's versions. Blocking; used by one thread
// (not the transport's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "s3/client.h"
#include "s3/listing.h"

namespace gwsync::session {

struct KeyVersions {
  std::string key;                        // relative to the prefix
  std::vector<s3::VersionInfo> versions;  // newest first, as listed (keys absolute)
};

class VersionLister {
 public:
  // More versions of one key than this is taken for a gateway that repeats
  // itself: the key's history is held whole (a restore replays it oldest
  // first), so it is bounded.
  static constexpr size_t kMaxVersionsPerKey = 1'000'000;

  VersionLister(const s3::Client& client, std::string bucket, std::string prefix);

  // The next key's versions; false at the end. An error ends the listing.
  StatusOr<bool> Next(KeyVersions* out);

 private:
  const std::string bucket_, prefix_;
  s3::VersionListing listing_;
  s3::VersionsPage page_;  // the page being read, from pos_
  size_t pos_ = 0;
};

// What a listing of versions holds besides the current objects.
struct HistoryCount {
  uint64_t noncurrent = 0;      // older versions
  uint64_t delete_markers = 0;  // delete markers, current or not
  bool empty() const { return noncurrent == 0 && delete_markers == 0; }
};

// One streamed listing of versions under `prefix`.
StatusOr<HistoryCount> CountHistory(const s3::Client& client, const std::string& bucket,
                                    const std::string& prefix);

}  // namespace gwsync::session
