// Proving a copy from a program: what `gwsync verify SRC DST` does, the same
// comparison and the same verdict, without the command line. Nothing is
// downloaded: sizes and ETags are compared, and with `content` a folder's
// files are read and checked against them. See docs/guide/proving-backups.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

struct VerifyDifference {
  enum class Kind { kMissing, kExtra, kDifferent, kUnverified };
  Kind kind = Kind::kMissing;
  std::string key;
  std::string why;  // kDifferent: "size 10, expected 12", ...; kUnverified: why not proven
  // "missing", "extra", "different", "unverified", as `gwsync verify` prints them.
  std::string_view KindName() const;
};

struct VerifyRequest {
  // Each a folder, a run manifest (a manifest file or a manifest-latest
  // file), s3://BUCKET[/PREFIX], REMOTE:BUCKET[/PREFIX], or s3:// (every
  // bucket) against a folder of buckets. `source` is the reference: a key
  // only it holds is missing from `destination`.
  std::string source;
  std::string destination;
  bool content = false;      // read a folder side's files and check their content
  bool store_links = false;  // a folder's links are NAME.rclonelink objects (sync --links)
  int parallel = 0;          // files read at once (0: the cores, at most 8)
  // Key patterns (`*`, `**`, `?`), as --exclude and --include: excludes first.
  std::vector<std::string> exclude;
  std::vector<std::string> include;
  std::string remotes_file;  // "": ~/.config/gwsync/remotes.conf, when there is one
  // Each difference as it is found (a report of millions needs no memory);
  // the summary keeps the first ones as well.
  std::function<void(const VerifyDifference&)> on_difference;
  // What the caller should know that is no difference: a run manifest
  // written after a sync that had errors.
  std::function<void(const std::string&)> on_notice;
};

struct VerifySummary {
  uint64_t source_objects = 0, destination_objects = 0;
  uint64_t matched = 0, matched_bytes = 0;
  uint64_t missing = 0, extra = 0, different = 0;
  uint64_t unverified = 0;                    // content not proven
  uint64_t unchecked = 0;                     // `content`, but nothing to check a file against
  uint64_t etags_compared = 0;                // keys whose ETags both sides knew
  uint64_t contents_read = 0;                 // files read and checked (`content`)
  uint64_t contents_by_xxh3 = 0;              // of those, checked against a recorded xxh3
  uint64_t own_manifests = 0;                 // gwsync's run manifests in a bucket, not compared
  bool history_checked = false;               // an --all-versions backup: its history compared too
  uint64_t versions = 0;                      // ... and its versions and delete markers that match
  std::vector<VerifyDifference> differences;  // the first 10,000, by key
  struct Problem {
    std::string where;  // a path, a key, a bucket
    std::string message;
  };
  std::vector<Problem> problems;  // what could not be read: no proof
  // The one verdict: OK (everything matches, and with `content` every file
  // was read), NOT PROVEN (nothing differs, but something is unverified or
  // unread), DIFFERENT (missing, extra, different, or read errors).
  enum class Verdict { kOk, kNotProven, kDifferent };
  Verdict verdict = Verdict::kDifferent;
  bool ok() const { return verdict == Verdict::kOk; }
  std::string_view VerdictName() const;  // "OK", "NOT PROVEN", "DIFFERENT"
};

// Compares `destination` with `source`. Not OK when it could not start (a
// side that does not exist, no credentials for a bucket, a malformed name);
// what differs and what could not be read is in the summary.
StatusOr<VerifySummary> Verify(const GatewayOptions& gateway, const VerifyRequest& request);

}  // namespace gwsync
