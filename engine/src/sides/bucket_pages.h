// The pieces of a bucket's listing (sides/bucket_side.cc) and what it makes
// of the pages it is given: a Segment is a contiguous piece of the key
// space; a PageReader turns the objects a page lists into entries (the
// prefix removed, the range and filter applied) and what is wrong with the
// page into problems. A PageReader is safe from any thread; a Segment's
// check is its partition's alone (one page in flight at a time).
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include "s3/page_check.h"
#include "s3/types.h"
#include "sides/bucket_side.h"

namespace gwsync::sides::internal {

// A contiguous piece of the key space: a partition listed page by page
// (every key under `prefix`), or keys a delimiter listing already returned.
// A partition may be a group of consecutive folders of one level (`prefix`):
// every key after `start_after` up to the last one under `last`, less the
// level's own keys (those have no '/' below `prefix`: the level listing
// returned them).
struct Segment {
  bool flat = false;
  std::string prefix;
  bool group = false;
  std::string start_after, last;
  std::deque<ListBatch> ready;
  bool done = false;
  bool in_flight = false;
  std::string token;        // continuation of the next page
  s3::PageCheck check{""};  // a partition's pages, under its prefix
  // Once its first page was answered: the keys in it (a full page's when
  // there are more, or the page failed). A wide level's first folder.
  bool first_page_seen = false;
  size_t first_page_keys = 0;
};
using SegmentPtr = std::shared_ptr<Segment>;

class PageReader {
 public:
  // `range` has the prefix in front; `budget` is the side's.
  PageReader(std::string bucket, std::string prefix, const BucketListOptions& options,
             KeyRange range, std::shared_ptr<s3::ListBudget> budget);

  // How a problem names a key of the bucket ("s3://b/KEY", "REMOTE:b/KEY").
  std::string Where(const std::string& key) const;
  // Whether a check's failure is told: not when the budget, past its
  // limit, already stopped another partition (every partition would say so).
  bool Tell();
  // Adds the object to the batch, and counts it, unless the filter excludes
  // it; false when it is not an entry (the prefix's own folder marker, or
  // excluded).
  bool Convert(const s3::ObjectInfo& obj, ListBatch* batch);
  // A partition's page into `batch`, each key checked: true when the
  // partition is over, else `token` continues it.
  bool TakePage(Segment& seg, StatusOr<s3::ListPage> page, ListBatch* batch, std::string* token);
  // Entries given so far.
  uint64_t listed() const { return listed_.load(std::memory_order_relaxed); }

 private:
  const std::string bucket_, prefix_, name_;
  const plan::Filter filter_;
  const KeyRange range_;
  const std::shared_ptr<s3::ListBudget> budget_;
  std::atomic<bool> budget_told_{false};
  std::atomic<uint64_t> listed_{0};
};

}  // namespace gwsync::sides::internal
