// Checks that the pages of one listing make progress and stay where they were
// asked for, so a broken or hostile gateway cannot make a paging loop run
// forever or hand back keys from elsewhere. One PageCheck per listing; not
// thread-safe (a listing is read by one thread at a time).
#pragma once

#include <string>

#include "gwsync/status.h"
#include "s3/types.h"

namespace gwsync::s3 {

class PageCheck {
 public:
  // At most this many truncated pages in a row may hold nothing.
  static constexpr int kMaxEmptyPages = 16;

  // `prefix`: what every key and common prefix must start with.
  explicit PageCheck(std::string prefix) : prefix_(std::move(prefix)) {}

  // Checks the keys and common prefixes of `page` (each in ascending byte
  // order, under the prefix, after everything of earlier pages) and, when
  // it is truncated, that `next` (its continuation token or marker) is new.
  // The error says what the gateway did; the listing must stop there.
  Status Check(const ListPage& page, const std::string& next);

  // The same for a page of ListMultipartUploads or ListParts, reduced to
  // its continuation (a marker that must change) and whether it was empty.
  Status CheckMarker(bool truncated, const std::string& next, bool empty);

 private:
  Status Key(const std::string& name, std::string* last, const char* what) const;

  std::string prefix_;
  std::string last_key_, last_prefix_;
  std::string last_token_;
  bool first_ = true;
  int empty_pages_ = 0;
};

}  // namespace gwsync::s3
