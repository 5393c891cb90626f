// A listing as a stream: batches of entries in ascending S3 key byte order,
// with what could not be read reported in-band, in order, beside them. A
// stream holds a bounded number of batches however large the listing, so a
// sync of ten million keys needs no more memory than one of a thousand.
//
// A stream is read by one thread at a time (the sync's planner); its
// producers (a walker thread, the curl loop) run beside it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "gwsync/status.h"
#include "plan/plan.h"

namespace gwsync::sides {

// Something a listing could not read or would not list: an unreadable
// folder or file, a listing page that failed, a key a gateway should not
// have sent, a socket. `read_error` is true when keys may be missing from the
// listing because of it: then the sync deletes nothing (a key that could not
// be listed would look "only at the destination").
struct Problem {
  std::string path;  // the file, folder, bucket or key concerned
  Status status;
  bool read_error = true;
};

struct ListBatch {
  std::vector<plan::Entry> entries;  // ascending, continuing the previous batch
  std::vector<Problem> problems;     // met while this batch was listed
};

class EntryStream {
 public:
  virtual ~EntryStream() = default;
  // Blocks until the next batch; false when the listing is over (and
  // `batch` is then empty). Batches may hold problems and no entries.
  virtual bool Next(ListBatch* batch) = 0;
  // Entries listed so far (for progress).
  virtual uint64_t listed() const = 0;
};

// A fixed-capacity queue between one producer and one consumer thread. Push
// blocks while it is full, Pop while it is empty; Close ends it (Pop then
// returns false once drained, Push drops). Cancel drops everything queued and
// wakes both sides.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // False when the queue was cancelled (the item is dropped).
  bool Push(T item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || cancelled_; });
    if (cancelled_ || closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  bool Pop(T* item) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_ || cancelled_; });
    if (items_.empty()) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    items_.clear();
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
  bool cancelled_ = false;
};

// An empty listing (a destination folder or bucket that does not exist yet).
class EmptyStream final : public EntryStream {
 public:
  bool Next(ListBatch*) override { return false; }
  uint64_t listed() const override { return 0; }
};

}  // namespace gwsync::sides
