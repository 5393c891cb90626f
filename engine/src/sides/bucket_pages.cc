#include "sides/bucket_pages.h"

#include <utility>

namespace gwsync::sides::internal {

PageReader::PageReader(std::string bucket, std::string prefix, const BucketListOptions& options,
                       KeyRange range, std::shared_ptr<s3::ListBudget> budget)
    : bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      name_(options.name),
      filter_(options.filter),
      range_(std::move(range)),
      budget_(std::move(budget)) {}

std::string PageReader::Where(const std::string& key) const {
  return (name_.empty() ? "s3://" + bucket_ : name_) + "/" + key;
}

bool PageReader::Tell() { return !budget_->exhausted() || !budget_told_.exchange(true); }

bool PageReader::Convert(const s3::ObjectInfo& obj, ListBatch* batch) {
  if (!range_.Contains(obj.key)) return false;
  std::string key = obj.key.substr(prefix_.size());  // checked: starts with the prefix
  if (key.empty() || !filter_.Allows(key)) return false;
  plan::Entry e;
  e.key = std::move(key);
  e.size = obj.size;
  e.etag = obj.etag;
  batch->entries.push_back(std::move(e));
  listed_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool PageReader::TakePage(Segment& seg, StatusOr<s3::ListPage> page, ListBatch* batch,
                          std::string* token) {
  bool done = true;
  if (!page.ok()) {
    batch->problems.push_back(Problem{Where(seg.prefix), page.status().Annotate("listing")});
    return done;
  }
  for (const auto& obj : page->objects) {
    Status bad = seg.check.CheckKey(obj.key);
    if (!bad.ok()) {
      if (Tell()) batch->problems.push_back(Problem{Where(obj.key), bad});
      return done;
    }
    if (range_.through && obj.key > *range_.through) return done;  // the end of the range
    if (seg.group) {
      if (obj.key.compare(0, seg.last.size(), seg.last) > 0) return done;  // past the group
      // The level's own keys, and what a gateway that ignored
      // start-after sends again.
      if (obj.key.find('/', seg.prefix.size()) == std::string::npos || obj.key <= seg.start_after) {
        continue;
      }
    }
    Convert(obj, batch);
  }
  if (page->truncated) {
    Status bad = seg.check.CheckMarker(true, page->next_token,
                                       page->objects.empty() && page->common_prefixes.empty());
    if (bad.ok()) {
      *token = page->next_token;
      done = false;
    } else {
      batch->problems.push_back(Problem{Where(seg.prefix), bad});
    }
  }
  return done;
}

}  // namespace gwsync::sides::internal
