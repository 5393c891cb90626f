#include "sync/merge.h"

namespace gwsync::sync {

Merger::Merger(sides::EntryStream* src, sides::EntryStream* dst, plan::PlanOptions options,
               Recall recall, OnProblem on_problem)
    : src_(src, SideId::kSource),
      dst_(dst, SideId::kDestination),
      options_(options),
      recall_(std::move(recall)),
      on_problem_(std::move(on_problem)) {}

bool Merger::Fill(Cursor& c) {
  for (;;) {
    while (c.pos < c.batch.entries.size()) {
      const std::string& key = c.batch.entries[c.pos].key;
      if (c.count == 0 || c.last < key) return true;
      // The streams check what gateways send; this is the last guard.
      on_problem_(c.id,
                  sides::Problem{key, Internal("listing out of key order at '" + key + "'"), true});
      ++c.pos;
    }
    if (c.ended) return false;
    c.batch = sides::ListBatch();
    c.pos = 0;
    if (!c.stream->Next(&c.batch)) {
      c.ended = true;
      return false;
    }
    for (const sides::Problem& p : c.batch.problems) on_problem_(c.id, p);
  }
}

plan::Entry Merger::Take(Cursor& c) {
  plan::Entry e = std::move(c.batch.entries[c.pos++]);
  c.last = e.key;
  ++c.count;
  return e;
}

bool Merger::Next(plan::Action* action) {
  bool has_src = Fill(src_);
  bool has_dst = Fill(dst_);
  if (!has_src && !has_dst) return false;
  *action = plan::Action();
  if (has_src && has_dst) {
    const std::string& a = src_.batch.entries[src_.pos].key;
    const std::string& b = dst_.batch.entries[dst_.pos].key;
    if (a < b) {
      has_dst = false;
    } else if (b < a) {
      has_src = false;
    }
  }
  if (has_src) action->src = Take(src_);
  if (has_dst) action->dst = Take(dst_);
  std::optional<plan::Remembered> remembered;
  if (action->src && action->dst && recall_) remembered = recall_(*action->src, *action->dst);
  plan::Decision d = plan::Decide(action->src, action->dst, remembered, options_);
  action->kind = d.kind;
  action->reason = d.reason;
  action->key = action->src ? action->src->key : action->dst->key;
  return true;
}

}  // namespace gwsync::sync
