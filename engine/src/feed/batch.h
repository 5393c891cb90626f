// One batch of a change feed as the sync's pipeline takes it
// (sync::ChangeSource): the coalesced changes, handed out one by one, and
// each one's outcome, from which the batch's messages are settled after the
// run (acknowledged when the change is final in the index, given back to
// the queue when it failed). Next is called on one thread and Finished on
// one (maybe another); Settle once both are done.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "feed/event.h"
#include "sync/sync.h"

namespace gwsync::feed {

class Batch : public sync::ChangeSource {
 public:
  // `stop` (may be null): once set, Next hands out nothing more.
  Batch(std::vector<Coalescer::Entry> entries, const std::atomic<bool>* stop);
  bool Next(sync::Change* c) override;
  void Finished(uint64_t token, bool ok) override;
  uint64_t ObjectCount() override { return object_count_; }
  // The bucket's count of its objects (HEAD bucket), for --max-delete's percentage.
  void set_object_count(uint64_t n) { object_count_ = n; }

  // The delivery tags to acknowledge (changes that ended well, with
  // `extra_acks`: messages that carried nothing to apply) and to give back
  // (changes that failed or were never finished).
  struct Settlement {
    std::vector<uint64_t> ack, requeue;
  };
  Settlement Settle(const std::vector<uint64_t>& extra_acks) const;
  size_t keys() const { return entries_.size(); }

 private:
  std::vector<Coalescer::Entry> entries_;
  const std::atomic<bool>* stop_;
  size_t next_ = 0;
  uint64_t object_count_ = 0;
  mutable std::mutex mu_;
  std::vector<int8_t> outcome_;  // -1 pending, 0 failed, 1 done
};

}  // namespace gwsync::feed
