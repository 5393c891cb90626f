#include "feed/feed_run.h"

#include <ctime>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "feed/amqp.h"
#include "feed/batch.h"
#include "feed/event.h"
#include "feed/state.h"
#include "index/index.h"
#include "session/pair_lock.h"
#include "util/cache_dir.h"

namespace gwsync::feed {
namespace {

// How long a run, nightly or following, waits for the next message while its
// own marker has not come yet (it is in the queue already: a longer silence
// is a fault).
constexpr std::chrono::milliseconds kDrainWait{10000};
// follow: how often the proof moves on (a new marker), when anything changed.
constexpr std::chrono::seconds kRotateEvery{60};
// follow: the longest wait before failed changes are taken again (AfterStall).
constexpr std::chrono::seconds kStallWaitMax{60};

std::string NewMarkerId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ std::time(nullptr));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(gen()),
                static_cast<unsigned long long>(gen()));
  return buf;
}

std::string Ago(int64_t seconds) {
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + " hours";
  return std::to_string(seconds / 60) + " minutes";
}

class FeedRun {
 public:
  FeedRun(const sync::Location& src, const sync::Location& dst, const sync::SyncOptions& options,
          const FeedOptions& feed, const RunOnce& once)
      : src_(src), dst_(dst), options_(options), feed_(feed), once_(once) {}

  StatusOr<sync::SyncReport> Run();

 private:
  void Notice(const std::string& m) {
    total_.AddNotice(src_.Name(), "change feed: " + m);
    if (feed_.on_notice) feed_.on_notice("change feed: " + m);
  }
  bool Stopped() const { return options_.stop && options_.stop->load(); }
  std::string WhyNotTrusted();
  // A full listing in place of the feed; false when it did not complete.
  StatusOr<bool> FullListing(const std::string& why);
  // The feed cannot be taken at all: a full listing stands in for the run.
  // That is a nightly run done (the next one tries the feed again); a
  // follower cannot follow, and ends with an error so that its service
  // starts it again (the systemd unit: after 30 s) rather than stop for good.
  StatusOr<sync::SyncReport> ListedInstead(const std::string& why);
  Status PublishMarker();
  // One batch: up to feed_.batch messages, or to the pending marker. Sets
  // *reached when the pending marker came; *idle when nothing came.
  Status ConsumeBatch(std::chrono::milliseconds wait, bool* reached, bool* idle);
  Status Apply(Coalescer* coalescer, std::vector<uint64_t> acks);
  // After a batch: when every change taken for a whole prefetch window
  // failed (they come back first), a nightly run ends and a follower waits
  // before it takes them again.
  Status AfterStall();
  // Messages the broker hands this consumer ahead of acknowledgements.
  int Prefetch() const { return feed_.batch + 16; }
  Status Settle(const std::vector<uint64_t>& ack, const std::vector<uint64_t>& requeue);
  Status DrainToPending();
  // The pending marker did not come while the queue was silent kDrainWait:
  // a fault (it is in the queue already: the broker confirmed it).
  static Status MarkerLate();
  std::optional<std::string> CounterMismatch();
  std::string WhyListAgain();
  Status Commit(bool listing_ok);
  void Proven();
  Status CatchUp();
  Status Follow();

  const sync::Location& src_;
  const sync::Location& dst_;
  const sync::SyncOptions& options_;
  const FeedOptions& feed_;
  const RunOnce& once_;
  sync::SyncReport total_;
  FeedState state_;
  std::unique_ptr<AmqpConnection> conn_;
  std::string pending_;                // the marker this run published last
  bool continuous_ = false;            // the state's marker came: nothing was lost before it
  bool covered_ = false;               // a full listing began after the pending marker was queued
  bool listing_failed_ = false;        // ... and did not complete
  bool unreadable_ = false;            // a message that is no event: its key is unknown
  std::vector<uint64_t> old_markers_;  // earlier markers: acknowledged at the commit
  std::optional<uint64_t> pending_tag_;
  uint64_t taken_ = 0;  // messages taken other than markers
  // A change was given back to the queue since the last commit: until it
  // goes through, the index cannot add up to the bucket's counters, and
  // the folder does not hold everything queued before the next marker.
  bool gave_back_ = false;
  bool clean_commit_ = false;           // the last commit came with nothing given back
  size_t failed_in_a_row_ = 0;          // messages given back since one was acknowledged
  bool progressed_ = false;             // the last batch acknowledged a message
  std::chrono::seconds stall_wait_{0};  // follow: the wait after the last stall
};

std::string FeedRun::WhyNotTrusted() {
  auto loaded = LoadFeedState(feed_.state_path);
  if (!loaded.ok()) {
    Notice(loaded.status().message());
  } else if (*loaded) {
    state_ = **loaded;
  }
  const std::string url = feed_.feed.Url();
  if (state_.feed != url) {
    state_ = FeedState{url, "", 0};
    return "first run with this feed: nothing proves its queue complete yet";
  }
  if (state_.marker.empty()) return "the last full listing did not complete";
  const int64_t age = std::time(nullptr) - state_.last_full;
  if (feed_.reconcile_every.count() > 0 && age >= feed_.reconcile_every.count()) {
    return "a full listing is due (--reconcile-every): the last one ended " + Ago(age) + " ago";
  }
  return "";
}

StatusOr<sync::SyncReport> FeedRun::ListedInstead(const std::string& why) {
  RETURN_IF_ERROR(FullListing(why).status());
  if (feed_.follow && !Stopped()) {
    total_.AddError(src_.Name(), "change feed: cannot follow it: " + why);
  }
  return total_;
}

StatusOr<bool> FeedRun::FullListing(const std::string& why) {
  Notice("a full listing instead of the feed: " + why);
  sync::SyncOptions o = options_;
  o.changes = nullptr;
  ASSIGN_OR_RETURN(sync::SyncReport r, once_(o));
  const bool ok = r.error_count == 0 && !r.interrupted;
  total_.Add(r, "");
  listing_failed_ = !ok;
  return ok;
}

Status FeedRun::PublishMarker() {
  ASSIGN_OR_RETURN(auto publisher, AmqpConnection::Open(feed_.feed.broker, feed_.credentials));
  std::string id = NewMarkerId();
  RETURN_IF_ERROR(publisher->PublishConfirmed(feed_.feed.queue, kMarkerType, id,
                                              "{\"gwsync_marker\":\"" + id + "\"}"));
  pending_ = id;
  pending_tag_.reset();
  return Status::Ok();
}

Status FeedRun::Settle(const std::vector<uint64_t>& ack, const std::vector<uint64_t>& requeue) {
  // A message holding several records settles once: given back if any failed.
  std::set<uint64_t> back(requeue.begin(), requeue.end());
  std::set<uint64_t> done;
  for (uint64_t t : ack) {
    if (!back.count(t) && done.insert(t).second) RETURN_IF_ERROR(conn_->Ack(t));
  }
  for (uint64_t t : back) RETURN_IF_ERROR(conn_->Requeue(t));
  return Status::Ok();
}

Status FeedRun::Apply(Coalescer* coalescer, std::vector<uint64_t> acks) {
  progressed_ = false;
  if (covered_) {  // the full listing took these in already
    for (auto& e : coalescer->Take()) acks.insert(acks.end(), e.tags.begin(), e.tags.end());
  }
  if (coalescer->empty()) {
    progressed_ = !acks.empty();
    return Settle(acks, {});
  }
  Batch batch(coalescer->Take(), options_.stop);
  if (options_.delete_extra) {
    // A --max-delete percentage is of what the folder held: the bucket's objects and the deletes.
    auto head =
        s3::Wait<s3::BucketHead>([&](auto done) { src_.client->StatBucket(src_.bucket, done); });
    if (head.ok() && head->object_count) batch.set_object_count(*head->object_count);
  }
  sync::SyncOptions o = options_;
  o.changes = &batch;
  auto r = once_(o);
  if (!r.ok()) {
    Settle({}, batch.Settle(acks).requeue).IgnoreError();
    return r.status();
  }
  total_.Add(*r, "");
  auto s = batch.Settle(acks);
  gave_back_ = gave_back_ || !s.requeue.empty();
  progressed_ = !s.ack.empty();
  if (!Stopped()) failed_in_a_row_ += std::set<uint64_t>(s.requeue.begin(), s.requeue.end()).size();
  RETURN_IF_ERROR(Settle(s.ack, s.requeue));
  if (feed_.on_batch) feed_.on_batch(*r);
  if (feed_.follow && feed_.on_progress) feed_.on_progress(*r, total_, !gave_back_);
  return Status::Ok();
}

Status FeedRun::ConsumeBatch(std::chrono::milliseconds wait, bool* reached, bool* idle) {
  Coalescer coalescer;
  std::vector<uint64_t> acks;  // messages with nothing to apply
  int messages = 0;
  *reached = false;
  *idle = false;
  while (messages < feed_.batch && !Stopped()) {
    ASSIGN_OR_RETURN(auto d, conn_->Next(wait));
    if (!d) {
      *idle = true;
      break;
    }
    if (d->type == kMarkerType) {
      if (d->message_id == pending_) {
        pending_tag_ = d->tag;
        *reached = true;
        break;
      }
      if (d->message_id == state_.marker) continuous_ = true;
      old_markers_.push_back(d->tag);
      continue;
    }
    ++messages;
    ++taken_;
    auto events = ParseEvents(d->body);
    if (!events.ok()) {
      if (!unreadable_) Notice("a message that is no S3 event: " + events.status().message());
      unreadable_ = true;
      acks.push_back(d->tag);
      continue;
    }
    bool any = false;
    for (auto& e : *events) {
      if (!e.bucket.empty() && e.bucket != src_.bucket) continue;  // another bucket's
      coalescer.Add(std::move(e), d->tag);
      any = true;
    }
    if (!any) acks.push_back(d->tag);
  }
  RETURN_IF_ERROR(Apply(&coalescer, std::move(acks)));
  return AfterStall();
}

// A change given back goes to the head of the queue: the broker hands it
// out again as soon as the messages it had sent ahead (Prefetch()) are
// taken. Once more messages than that failed in a row, nothing new can come
// until one of them goes through (a gateway refusing them, a full disk),
// and taking them again at once would fail again, for ever. A nightly run
// ends there with an error: they, and what is queued behind them, stay for
// the next run. A follower waits, 1 s and twice as long after each such
// round up to a minute, and tries again: it keeps following and is seen
// failing (its metrics' last success stays where it was).
Status FeedRun::AfterStall() {
  if (progressed_) {
    failed_in_a_row_ = 0;
    stall_wait_ = std::chrono::seconds(0);
  }
  if (failed_in_a_row_ <= static_cast<size_t>(Prefetch())) return Status::Ok();
  const std::string what = "the last " + std::to_string(failed_in_a_row_) +
                           " changes taken all failed, and the queue gives them back first";
  failed_in_a_row_ = 0;
  if (!feed_.follow) {
    return Status(StatusCode::kUnavailable,
                  what + ": they, and what is queued behind them, stay queued for the next run");
  }
  stall_wait_ =
      stall_wait_.count() == 0 ? std::chrono::seconds(1) : std::min(2 * stall_wait_, kStallWaitMax);
  if (feed_.on_notice) {
    feed_.on_notice("change feed: " + what + ": taking them again in " +
                    std::to_string(stall_wait_.count()) + " s");
  }
  const auto until = std::chrono::steady_clock::now() + stall_wait_;
  while (!Stopped() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Ok();
}

Status FeedRun::DrainToPending() {
  bool reached = false, idle = false;
  while (!reached && !Stopped()) {
    RETURN_IF_ERROR(ConsumeBatch(kDrainWait, &reached, &idle));
    if (idle && !reached) return MarkerLate();
  }
  return Status::Ok();
}

Status FeedRun::MarkerLate() {
  return Status(StatusCode::kUnavailable,
                "the queue delivered nothing for " + std::to_string(kDrainWait.count() / 1000) +
                    " s before gwsync's own marker (the broker stalled, or the queue lost it)");
}

// The index against the bucket's own counters, when they count the same
// thing: the whole bucket, no filters, deletes applied, and no change given
// back since the last commit (a full listing would not make those go
// through: it would fail them again, and list again next time).
std::optional<std::string> FeedRun::CounterMismatch() {
  if (gave_back_ || !src_.prefix.empty() || !options_.filter.empty() || !options_.range.all() ||
      !options_.delete_extra || options_.index == nullptr || options_.dry_run) {
    return std::nullopt;
  }
  auto head =
      s3::Wait<s3::BucketHead>([&](auto done) { src_.client->StatBucket(src_.bucket, done); });
  if (!head.ok() || !head->object_count || !head->bytes_used) return std::nullopt;
  uint64_t count = 0, bytes = 0;
  Status s = options_.index->ForEachLocal(dst_.path, [&](const std::string&, const auto& r) {
    ++count;
    bytes += r.size;
    return true;
  });
  if (!s.ok()) return "the index cannot be read: " + s.message();
  if (count == *head->object_count && bytes == *head->bytes_used) return std::nullopt;
  return "the index holds " + std::to_string(count) + " objects of " + std::to_string(bytes) +
         " bytes, the bucket says " + std::to_string(*head->object_count) + " of " +
         std::to_string(*head->bytes_used);
}

// The pending marker has come: it is the proof from now on.
Status FeedRun::Commit(bool listing_ok) {
  state_.marker = listing_ok ? pending_ : "";
  if (covered_ && listing_ok) state_.last_full = std::time(nullptr);
  RETURN_IF_ERROR(SaveFeedState(feed_.state_path, state_));
  for (uint64_t t : old_markers_) RETURN_IF_ERROR(conn_->Ack(t));
  old_markers_.clear();
  if (pending_tag_) old_markers_.push_back(*pending_tag_);  // acknowledged at the next commit
  continuous_ = listing_ok;
  covered_ = false;
  unreadable_ = false;
  clean_commit_ = !gave_back_;
  gave_back_ = false;
  return Status::Ok();
}

// follow: a marker came back, so the folder holds everything queued before
// it: the metrics' last success moves on. Not when a change failed since the
// marker before (it is queued again, maybe still ahead of this one): the
// file says so until a marker comes with none given back.
void FeedRun::Proven() {
  if (feed_.follow && feed_.on_progress && clean_commit_) {
    feed_.on_progress(sync::SyncReport(), total_, true);
  }
}

// Everything queued before this run's marker, applied or covered by a full
// listing; then the proof moves on to the marker.
Status FeedRun::CatchUp() {
  RETURN_IF_ERROR(conn_->Consume(feed_.feed.queue, Prefetch()));
  RETURN_IF_ERROR(DrainToPending());
  if (Stopped()) return Status::Ok();
  std::string why;
  if (!covered_ && !continuous_) {
    why =
        "the queue has lost messages since the last run (purged, deleted and made again, or "
        "dropped by the broker): the marker the last run left in it is gone";
  } else if (!covered_ && unreadable_) {
    why = "a message could not be read as an event, so its key is unknown";
  } else if (!covered_) {
    if (auto m = CounterMismatch()) why = *m;
  }
  if (!why.empty()) {
    RETURN_IF_ERROR(PublishMarker());
    ASSIGN_OR_RETURN(bool ok, FullListing(why));
    if (!ok) return Commit(false);
    covered_ = true;
    RETURN_IF_ERROR(DrainToPending());
    if (Stopped()) return Status::Ok();
  }
  return Commit(!listing_failed_);
}

// A full listing is due: a message that was no event, counters that do
// not add up, or --reconcile-every; "" when none is.
std::string FeedRun::WhyListAgain() {
  if (unreadable_) return "a message could not be read as an event, so its key is unknown";
  if (auto m = CounterMismatch()) return *m;
  const int64_t age = std::time(nullptr) - state_.last_full;
  if (feed_.reconcile_every.count() > 0 && age >= feed_.reconcile_every.count()) {
    return "a full listing is due (--reconcile-every): the last one ended " + Ago(age) + " ago";
  }
  return "";
}

// After the catch-up: batches as events come, and a new marker to move the
// proof on (and compare the counters) every kRotateEvery once something
// changed, and at least every heartbeat_every even when nothing did, so that
// a quiet feed is proven alive too. A marker that does not come back ends the
// follower with an error, as it ends a nightly run, rather than leave it
// waiting unseen.
Status FeedRun::Follow() {
  using Clock = std::chrono::steady_clock;
  auto rotated = Clock::now();  // the last marker published
  auto heard = rotated;         // the last message taken, marker published or listing
  bool changed = false, waiting = false;
  while (!Stopped()) {
    bool reached = false, idle = false;
    const uint64_t before = taken_;
    RETURN_IF_ERROR(ConsumeBatch(feed_.idle, &reached, &idle));
    if (Stopped()) break;
    changed = changed || taken_ != before;  // not the marker's own return
    if (taken_ != before || reached) heard = Clock::now();
    if (reached) {
      waiting = false;
      // After a full listing its own marker commits it: the checks that
      // asked for it would ask again (the reconcile time moves on only at
      // the commit, counters that differ for good still differ).
      const std::string why = covered_ ? "" : WhyListAgain();
      if (!why.empty()) {
        RETURN_IF_ERROR(PublishMarker());
        ASSIGN_OR_RETURN(bool ok, FullListing(why));
        if (!ok) return Commit(false);
        covered_ = true;
        waiting = true;
        heard = Clock::now();
        continue;
      }
      RETURN_IF_ERROR(Commit(true));
      Proven();
    }
    const auto now = Clock::now();
    if (waiting && idle && now - heard >= kDrainWait) return MarkerLate();
    const bool rotate = changed && now - rotated >= kRotateEvery;
    const bool beat = feed_.heartbeat_every.count() > 0 && now - rotated >= feed_.heartbeat_every;
    if (idle && !waiting && (rotate || beat)) {
      RETURN_IF_ERROR(PublishMarker());
      rotated = heard = Clock::now();
      changed = false;
      waiting = true;
    }
  }
  return Status::Ok();
}

StatusOr<sync::SyncReport> FeedRun::Run() {
  std::string why = WhyNotTrusted();
  auto conn = AmqpConnection::Open(feed_.feed.broker, feed_.credentials);
  if (!conn.ok()) return ListedInstead("the broker cannot be reached: " + conn.status().message());
  conn_ = std::move(*conn);
  if (auto q = conn_->QueueMessages(feed_.feed.queue); !q.ok()) {
    const std::string gone =
        q.status().code() == StatusCode::kNotFound
            ? "the broker has no queue '" + feed_.feed.queue +
                  "' (removed by `gwsync feed remove`, or lost by the broker); `gwsync feed "
                  "setup` makes it again"
            : q.status().message();
    state_.marker.clear();
    SaveFeedState(feed_.state_path, state_).IgnoreError();
    return ListedInstead(gone);
  }
  if (Status s = PublishMarker(); !s.ok()) {
    return ListedInstead("no marker could be queued: " + s.message());
  }
  if (!why.empty()) {
    ASSIGN_OR_RETURN(bool ok, FullListing(why));
    if (!ok) {
      Commit(false).IgnoreError();
      return total_;
    }
    covered_ = true;
  }
  Status s = CatchUp();
  // A full listing that failed ends a follower, as it does in Follow: the
  // failure is the run's to report, and the next run lists again.
  if (s.ok() && feed_.follow && !Stopped() && !listing_failed_) {
    Proven();
    s = Follow();
  }
  if (!s.ok()) {
    // What was applied stays applied, acknowledged or not: the rest comes again.
    total_.AddError(src_.Name(), "change feed: " + s.message());
  }
  if (Stopped()) total_.interrupted = true;
  return total_;
}

}  // namespace

std::string FeedStatePath(const sync::Location& src, const sync::Location& dst) {
  return util::CacheDir() + "/feeds/" + session::PairKey(src, dst) + ".json";
}

StatusOr<sync::SyncReport> RunWithFeed(const sync::Location& src, const sync::Location& dst,
                                       const sync::SyncOptions& options, const FeedOptions& feed,
                                       const RunOnce& once) {
  FeedOptions f = feed;
  if (f.state_path.empty()) f.state_path = FeedStatePath(src, dst);
  FeedRun run(src, dst, options, f, once);
  return run.Run();
}

}  // namespace gwsync::feed
