// The streaming merge-join at the heart of a sync: walks the source and
// destination streams side by side in key order and decides one action per
// key with the pure planner, consulting the index for keys on both sides.
// Holds one batch per side at a time. Used by one thread (the graph's plan node).
#pragma once

#include <functional>
#include <optional>

#include "plan/plan.h"
#include "sides/stream.h"

namespace gwsync::sync {

class Merger {
 public:
  enum class SideId { kSource, kDestination };
  // What the index remembers of a key present on both sides.
  using Recall =
      std::function<std::optional<plan::Remembered>(const plan::Entry&, const plan::Entry&)>;
  using OnProblem = std::function<void(SideId, const sides::Problem&)>;

  Merger(sides::EntryStream* src, sides::EntryStream* dst, plan::PlanOptions options, Recall recall,
         OnProblem on_problem);

  // The next key's action; false when both listings are over.
  bool Next(plan::Action* action);

  uint64_t source_entries() const { return src_.count; }
  uint64_t destination_entries() const { return dst_.count; }

 private:
  struct Cursor {
    Cursor(sides::EntryStream* s, SideId side) : stream(s), id(side) {}
    sides::EntryStream* stream;
    SideId id;
    sides::ListBatch batch;
    size_t pos = 0;
    bool ended = false;
    std::string last;  // the last key taken, to check the order
    uint64_t count = 0;
  };
  // Makes `c` point at an entry, pulling batches (and reporting their
  // problems); false when that side is over.
  bool Fill(Cursor& c);
  plan::Entry Take(Cursor& c);

  Cursor src_, dst_;
  plan::PlanOptions options_;
  Recall recall_;
  OnProblem on_problem_;
};

}  // namespace gwsync::sync
