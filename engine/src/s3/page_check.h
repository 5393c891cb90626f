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

  // `prefix`: what every key and common prefix must start with. With a
  // `delimiter`, a common prefix must also reach past the prefix and end
  // with the delimiter (a folder of the level listed, not the level itself).
  explicit PageCheck(std::string prefix, std::string delimiter = "")
      : prefix_(std::move(prefix)), delimiter_(std::move(delimiter)) {}

  // Checks the keys and common prefixes of `page` (together in ascending
  // byte order, under the prefix, after everything of earlier pages) and,
  // when it is truncated, that `next` (its continuation token or marker) is
  // new. The error says what the gateway did; the listing must stop there.
  Status Check(const ListPage& page, const std::string& next);

  // The same rules one name at a time, for a caller that takes a page's
  // names as it reads them: a key, a common prefix, then the page's end
  // (CheckMarker). Keys and common prefixes share one order.
  Status CheckKey(const std::string& key);
  Status CheckFolder(const std::string& folder);

  // The same for a page of ListMultipartUploads or ListParts, reduced to
  // its continuation (a marker that must change) and whether it was empty.
  Status CheckMarker(bool truncated, const std::string& next, bool empty);

 private:
  Status Name(const std::string& name, const char* what);

  std::string prefix_, delimiter_;
  std::string last_name_;  // the last key or common prefix checked
  std::string last_token_;
  bool first_ = true;
  int empty_pages_ = 0;
};

}  // namespace gwsync::s3
