#include "feed/batch.h"

namespace gwsync::feed {

Batch::Batch(std::vector<Coalescer::Entry> entries, const std::atomic<bool>* stop)
    : entries_(std::move(entries)), stop_(stop), outcome_(entries_.size(), -1) {}

bool Batch::Next(sync::Change* c) {
  if (next_ >= entries_.size() || (stop_ && stop_->load())) return false;
  const Event& e = entries_[next_].last;
  c->key = e.key;
  c->removed = e.removed;
  c->size = e.removed ? 0 : e.size;
  c->etag = e.removed ? "" : e.etag;
  c->token = next_;
  ++next_;
  return true;
}

void Batch::Finished(uint64_t token, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  if (token < outcome_.size()) outcome_[token] = ok ? 1 : 0;
}

Batch::Settlement Batch::Settle(const std::vector<uint64_t>& extra_acks) const {
  std::lock_guard<std::mutex> lock(mu_);
  Settlement s;
  s.ack = extra_acks;
  for (size_t i = 0; i < entries_.size(); ++i) {
    auto& to = outcome_[i] == 1 ? s.ack : s.requeue;
    to.insert(to.end(), entries_[i].tags.begin(), entries_[i].tags.end());
  }
  return s;
}

}  // namespace gwsync::feed
