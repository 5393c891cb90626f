// Verify: proves, without downloading objects, that two sides hold the same
// keys: a folder, a bucket (and prefix) or a run manifest on either side.
// Both are read as streams in key order (sides/stream.h) and walked side by
// side, so memory does not grow with the number of keys. For each key:
// present on both, same size, the same ETag where both know one, the same
// mtime where both know one (a folder and its manifest). With `content`,
// the files of a folder side are read again (on a bounded pool of threads)
// and checked against the xxh3 a manifest records of them, at disk speed,
// or else against the other side's ETag, multipart ETags included.
//
// Verify blocks its caller; `on_difference` is called from the caller's
// thread and the pool's, never two at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sides/stream.h"
#include "transfer/etag.h"

namespace gwsync::verify {

struct Side {
  std::unique_ptr<sides::EntryStream> stream;
  std::string name;        // as the user named it, for messages
  std::string local_root;  // a folder side: where its files are read
  // A bucket side: the part layout an object records (a HEAD; called from
  // the content pool, only for multipart ETags), so that `content` checks a
  // file as a download would (transfer/etag.h). Null: none known.
  std::function<std::optional<transfer::PartLayout>(const std::string& key)> layout_of;
  // A bucket side: the run manifests gwsync keeps in a bucket
  // (plan::IsOwnManifestKey) are not compared when the other side lacks them.
  bool bucket = false;
};

// kUnverified: the content could not be proven either way (an ETag no part
// size reproduces, or of no known form; a copy recorded as unverified).
enum class DifferenceKind { kMissing, kExtra, kDifferent, kUnverified };

struct Difference {
  DifferenceKind kind = DifferenceKind::kMissing;
  std::string key;
  std::string why;  // for kDifferent: "size 10, expected 12", ...
};

std::string_view DifferenceName(DifferenceKind kind);

struct VerifyOptions {
  bool content = false;      // read a folder side's files and check their ETags
  int parallel = 4;          // files read at once
  uint64_t part_size = 0;    // tried first for multipart ETags (0: common sizes)
  bool store_links = false;  // a folder's links are NAME.rclonelink objects (sync --links)
  std::function<void(const Difference&)> on_difference;
};

struct VerifyReport {
  static constexpr size_t kMaxKept = 10000;
  uint64_t source_objects = 0, destination_objects = 0;
  uint64_t matched = 0, matched_bytes = 0;
  uint64_t missing = 0, extra = 0, different = 0;
  uint64_t etags_compared = 0;    // keys whose ETags both sides knew
  uint64_t contents_read = 0;     // files read and checked with `content`
  uint64_t contents_by_xxh3 = 0;  // of those, checked against a recorded xxh3
  uint64_t unchecked = 0;         // `content`, but no ETag to check the file against
  uint64_t unverified = 0;        // content not proven (DifferenceKind::kUnverified)
  uint64_t own_manifests = 0;     // gwsync's run manifests in a bucket, not compared
  // An --all-versions backup's versions and delete markers that match
  // (verify/versions.h); not in `matched`, which counts current objects.
  uint64_t versions = 0;
  std::vector<Difference> differences;   // the first kMaxKept, by key
  std::vector<sides::Problem> problems;  // what could not be read: no proof
  // Never on a guess: an unverified copy is no proof.
  // Counts `d` by its kind and keeps it while fewer than kMaxKept are.
  void Add(Difference d);
  // Adds every count of `more` (a bucket's, a history's) to this one, and
  // its differences and problems, their keys under `prefix` ("BUCKET/").
  void Merge(VerifyReport more, const std::string& prefix = "");
  bool ok() const {
    return missing == 0 && extra == 0 && different == 0 && unverified == 0 && unchecked == 0 &&
           problems.empty();
  }
};

// `src` is the reference, `dst` the copy: missing keys are in src and not
// in dst, extra ones the other way round.
VerifyReport Verify(Side src, Side dst, const VerifyOptions& options);

}  // namespace gwsync::verify
