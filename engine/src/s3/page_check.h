// Checks that the pages of one listing make progress, stay where they were
// asked for and end, so a broken or hostile gateway cannot make a paging
// loop run forever or hand back keys from elsewhere. One PageCheck per
// listing; not thread-safe (a listing is read by one thread at a time).
// A ListBudget may be shared by the PageChecks of many listings of one
// bucket, from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gwsync/status.h"
#include "s3/types.h"

namespace gwsync::s3 {

class Client;

// How many keys, and how many common prefixes, the listings of one bucket
// may return before they are taken for a gateway that would never end:
// twice what the gateway says the bucket holds (RGW's X-RGW-Object-Count on
// HEAD bucket) and kMargin more, room for a bucket that grows while it is
// listed and for counts that lag; kDefaultLimit when the gateway gives no
// count; or what the operator sets (--list-limit). Common prefixes are
// counted apart against the same limit (each stands for a key at least).
// Thread-safe.
class ListBudget {
 public:
  static constexpr uint64_t kDefaultLimit = 100'000'000;
  static constexpr uint64_t kMargin = 100'000;

  // `count`: the bucket's objects as the gateway says (nullopt: it does not
  // say); `limit`: the operator's, which wins when not 0.
  ListBudget(std::optional<uint64_t> count, uint64_t limit);

  uint64_t limit() const { return limit_; }
  // The bucket's objects as the gateway said, if it did.
  std::optional<uint64_t> count() const { return count_; }
  // Whether a listing went past the limit (every later name fails too).
  bool exhausted() const {
    return keys_.load(std::memory_order_relaxed) > limit_ ||
           folders_.load(std::memory_order_relaxed) > limit_;
  }
  // One more key or common prefix listed; an error once past the limit.
  Status TakeKey() { return Take(keys_, "keys"); }
  Status TakeFolder() { return Take(folders_, "folders"); }

 private:
  Status Take(std::atomic<uint64_t>& n, const char* what);

  std::optional<uint64_t> count_;
  uint64_t limit_;
  std::string why_;  // where the limit comes from, for the message
  std::atomic<uint64_t> keys_{0}, folders_{0};
};

// The budget for listing `bucket`: one HEAD bucket for the count the
// gateway gives, and the client's --list-limit. A HEAD that fails leaves
// the default (the listing says what is wrong with the bucket). Blocking;
// not on the transport's thread.
std::shared_ptr<ListBudget> BudgetFor(const Client& client, const std::string& bucket);

class PageCheck {
 public:
  // At most this many truncated pages in a row may hold nothing.
  static constexpr int kMaxEmptyPages = 16;

  // `prefix`: what every key and common prefix must start with. With a
  // `delimiter`, a common prefix must also reach past the prefix and end
  // with the delimiter (a folder of the level listed, not the level itself).
  // `budget`: shared with the other listings of the bucket; null: one of
  // this listing's own with the default limit.
  explicit PageCheck(std::string prefix, std::string delimiter = "",
                     std::shared_ptr<ListBudget> budget = nullptr)
      : prefix_(std::move(prefix)),
        delimiter_(std::move(delimiter)),
        budget_(budget ? std::move(budget) : std::make_shared<ListBudget>(std::nullopt, 0)) {}

  // Checks the keys and common prefixes of `page` (together in ascending
  // byte order, under the prefix, after everything of earlier pages, within
  // the budget) and, when it is truncated, that `next` (its continuation
  // token or marker) is not the last one again, nor the return of a cycle
  // of tokens (seen within about three times the cycle's length: a token
  // from further back may pass once). The error says what the gateway did;
  // the listing must stop there.
  Status Check(const ListPage& page, const std::string& next);

  // The same rules one name at a time, for a caller that takes a page's
  // names as it reads them: a key, a common prefix, then the page's end
  // (CheckMarker). Keys and common prefixes share one order.
  Status CheckKey(const std::string& key);
  Status CheckFolder(const std::string& folder);

  // The same for a page of ListMultipartUploads or ListParts, reduced to
  // its continuation (a marker that must be new) and whether it was empty.
  Status CheckMarker(bool truncated, const std::string& next, bool empty);
  // Entries of such a page (unfinished uploads), against the budget.
  Status TakeEntries(size_t n);

  // Once a listing turns out to have more than one page: the bucket's
  // budget (BudgetFor) in place of the default, so that a listing of one
  // page, or of a gateway that cannot be reached, costs no HEAD. Blocking;
  // the first call only.
  void AskBudget(const Client& client, const std::string& bucket) {
    if (asked_) return;
    asked_ = true;
    budget_ = BudgetFor(client, bucket);
  }

 private:
  Status Name(const std::string& name, const char* what);

  std::string prefix_, delimiter_;
  std::shared_ptr<ListBudget> budget_;
  // The last key or common prefix checked ("" is a name a gateway may send).
  std::optional<std::string> last_name_;
  std::string last_token_;
  bool first_ = true;
  bool asked_ = false;
  int empty_pages_ = 0;
  // Brent's cycle detection over the tokens (A, B, A, B ...): one token
  // kept and compared with each new one, replaced after 1, 2, 4, 8 ...
  // pages. A cycle of any length is seen within about three times its
  // length, in constant memory.
  std::string saved_token_;
  uint64_t power_ = 1, steps_ = 0;  // steps_: pages since saved_token_'s
};

}  // namespace gwsync::s3
