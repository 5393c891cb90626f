// The blocking listings of a bucket, one page at a time: ObjectListing
// (ListObjectsV2, or V1 on an old gateway), VersionListing
// (ListObjectVersions) and UploadListing (ListMultipartUploads). Each page is checked whole by a
// PageCheck (s3/page_check.h) before it is handed out, so a caller never sees any of a page that
// breaks a rule, and a gateway that repeats a continuation or never ends stops the listing with an
// error that says what it did. Every paging loop of gwsync is one of these, but the sync's bucket
// side, which lists partitions asynchronously and checks each name with the same PageCheck as it
// reads it (sides/bucket_side.cc).
//
// Blocking: not on the transport's thread. One thread at a time per listing.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "s3/client.h"
#include "s3/page_check.h"

namespace gwsync::s3 {

struct ListingOptions {
  std::string prefix;
  // "/" groups the keys below the next '/' into common prefixes (each must
  // then be a folder of the level: PageCheck); "": every key.
  std::string delimiter;
  int max_keys = 1000;
  // Lists with V1 (marker, NextMarker) when the gateway refuses V2 on the
  // first page (501, or 400 InvalidArgument).
  bool v1_fallback = false;
  // Shared with the other listings of the bucket, and never a HEAD. Null:
  // the default limit while the listing is one page, and the bucket's
  // budget (BudgetFor: one HEAD bucket, --list-limit) from its second.
  std::shared_ptr<ListBudget> budget;
  // Runs on the transport's thread as each list request is answered, where
  // Client::LastAttempt describes it (bench counts its requests). Must not
  // block.
  std::function<void()> on_answer;
};

class ObjectListing {
 public:
  ObjectListing(const Client& client, std::string bucket, ListingOptions options);

  // The next page, checked; false after the last. A failed request or a
  // page that breaks a rule is an error ("bucket 'B': the gateway ...")
  // that every later call returns again.
  StatusOr<bool> Next(ListPage* page);

 private:
  StatusOr<ListPage> Fetch();

  const Client& client_;
  const std::string bucket_;
  const ListingOptions options_;
  ListOptions request_;
  PageCheck check_;
  bool done_ = false;
  Status failed_;
};

// Pages of a versioned bucket's history under a prefix: every version and
// delete marker, paged by key-marker and version-id-marker. The checks of
// ObjectListing, with a key's versions (one key, many entries, perhaps over
// pages) taken as one name: the pair of markers is the continuation, and
// every entry counts against the budget. The budget is never the bucket's
// count (a HEAD counts current objects, not versions): `budget`, or the
// default limit and --list-limit.
class VersionListing {
 public:
  VersionListing(const Client& client, std::string bucket, std::string prefix,
                 std::shared_ptr<ListBudget> budget = nullptr);

  // As ObjectListing::Next; errors say "listing the versions of s3://B".
  StatusOr<bool> Next(VersionsPage* page);

 private:
  Status Check(const VersionsPage& page);

  const Client& client_;
  const std::string bucket_;
  VersionListOptions request_;
  PageCheck check_;
  std::optional<std::string> last_key_;  // of the last entry checked
  bool done_ = false;
  Status failed_;
};

// Pages of a bucket's unfinished multipart uploads, paged by key-marker and
// upload-id-marker. What such a page lets one check: the pair of markers is
// the continuation and must move on (not repeated, not going round), at most
// PageCheck::kMaxEmptyPages truncated empty pages in a row, and every upload
// counts against the budget. The keys' order is not checked (the paging
// loops this replaced did not check it either). The budget: `budget`, or as
// ObjectListing's: the default limit while the listing is one page, the
// bucket's (BudgetFor) from its second. `on_answer` as ListingOptions's.
class UploadListing {
 public:
  UploadListing(const Client& client, std::string bucket,
                std::shared_ptr<ListBudget> budget = nullptr,
                std::function<void()> on_answer = nullptr);

  // As ObjectListing::Next; a page that breaks a rule says "bucket 'B'
  // unfinished uploads: ...".
  StatusOr<bool> Next(UploadsPage* page);

 private:
  StatusOr<UploadsPage> Fetch();

  const Client& client_;
  const std::string bucket_;
  const bool given_budget_;
  const std::function<void()> on_answer_;
  std::string key_marker_, upload_id_marker_;
  PageCheck check_;
  bool done_ = false;
  Status failed_;
};

}  // namespace gwsync::s3
