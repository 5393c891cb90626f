#include "sides/bucket_side.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "s3/page_check.h"
#include "sides/bucket_pages.h"

namespace gwsync::sides {
namespace {

using internal::PageReader;
using internal::Segment;
using internal::SegmentPtr;

// Shared by the reader, the discovery thread and the listing callbacks on
// the curl loop; the callbacks hold it alive.
class Lister : public std::enable_shared_from_this<Lister> {
 public:
  // `flat`: one partition, the whole prefix page after page, no levels.
  Lister(const s3::Client& client, std::string bucket, std::string prefix,
         BucketListOptions options, std::shared_ptr<s3::ListBudget> budget, bool flat)
      : client_(client),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        options_(std::move(options)),
        range_(options_.range.WithPrefix(prefix_)),
        budget_(std::move(budget)),
        pages_(bucket_, prefix_, options_, range_, budget_),
        flat_(flat) {}

  // The discovery thread: walks the delimiter levels in key order and adds
  // segments. `first` is the root's first page, already fetched.
  void Discover(s3::ListPage first) {
    if (flat_) {
      AddPartition(prefix_);
    } else {
      Level(prefix_, 0, &first);
    }
    std::lock_guard lock(mu_);
    discovery_done_ = true;
    cv_.notify_all();
  }

  bool Next(ListBatch* batch) {
    std::vector<SegmentPtr> fetch;
    std::unique_lock lock(mu_);
    for (;;) {
      if (cancelled_) return false;
      if (window_.empty()) {
        if (discovery_done_) return false;
        cv_.wait(lock);
        continue;
      }
      SegmentPtr front = window_.front();
      if (!front->ready.empty()) {
        *batch = std::move(front->ready.front());
        front->ready.pop_front();
        if (front->done && front->ready.empty()) {
          window_.pop_front();
          cv_.notify_all();  // room for the discovery thread
        }
        Kick(&fetch);
        lock.unlock();
        for (auto& s : fetch) Fetch(s);
        return true;
      }
      if (front->done) {
        window_.pop_front();
        cv_.notify_all();
        continue;
      }
      Kick(&fetch);
      if (front->done) continue;  // ended by Kick: the side's budget is spent
      if (!fetch.empty()) {
        lock.unlock();
        for (auto& s : fetch) Fetch(s);
        fetch.clear();
        lock.lock();
        continue;
      }
      cv_.wait(lock);
    }
  }

  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

  uint64_t listed() const { return pages_.listed(); }

 private:
  // Lists one delimiter level from `prefix`, in order: keys found at this
  // level become loose segments, each folder either a partition or, while
  // the level is narrow, a level of its own.
  // NOLINTNEXTLINE(readability-function-size): narrow and wide levels share one page loop
  void Level(const std::string& prefix, int depth, s3::ListPage* first) {
    s3::ListOptions o;
    o.prefix = prefix;
    o.delimiter = "/";
    // A range starting inside this level: list from there, and take the
    // folder holding its start first (a gateway need not return it).
    std::string straddling;
    if (range_.after && range_.after->starts_with(prefix)) {
      o.start_after = *range_.after;
      size_t slash = range_.after->find('/', prefix.size());
      if (slash != std::string::npos) straddling = range_.after->substr(0, slash + 1);
    }
    // Whether a level is narrow enough to descend is judged on the whole
    // level, as without a range: a level cut short by start-after would
    // look narrow and split into many tiny partitions. One more request;
    // when the whole level fits in a page, that page is the listing.
    bool wide = false;
    s3::ListPage whole_page;
    if (!o.start_after.empty()) {
      s3::ListOptions whole = o;
      whole.start_after.clear();
      auto got =
          s3::Wait<s3::ListPage>([&](auto done) { client_.ListObjects(bucket_, whole, done); });
      if (!got.ok()) return AddProblem(pages_.Where(prefix), got.status().Annotate("listing"));
      if (got->truncated) {
        wide = true;
      } else {
        whole_page = std::move(*got);
        first = &whole_page;
      }
    }
    s3::PageCheck check(prefix, "/", budget_);
    // Folders waiting to be one partition, and where the next such group
    // starts: just after the level's previous name, so neither a level key
    // nor another folder's keys are listed twice.
    Group group;
    std::string after_prev;
    auto flush = [&] {
      if (group.count > 0) AddGroup(prefix, std::exchange(group, Group()));
    };
    size_t keys_per_folder = 0;  // a wide level's, once its first folder is listed (Probe)
    for (bool first_page = true;; first_page = false) {
      s3::ListPage page;
      if (first_page && first) {
        page = std::move(*first);
      } else {
        auto got =
            s3::Wait<s3::ListPage>([&](auto done) { client_.ListObjects(bucket_, o, done); });
        if (!got.ok()) return AddProblem(pages_.Where(prefix), got.status().Annotate("listing"));
        page = std::move(*got);
      }
      bool expand = !wide && first_page && depth < options_.max_depth && !page.truncated &&
                    static_cast<int>(page.common_prefixes.size()) < options_.parallel;
      // A wide level's folders go out in groups, at most 2 x parallel
      // partitions a page: a level of thousands of one-key folders (a
      // registry's _layers/sha256/HASH/link) is not a LIST per key. A group
      // holds the folders of about kGroupKeys keys (judged by the level's
      // first folder), since each LIST costs the gateway about as much as a
      // page of a thousand keys (a call per bucket index shard), but there
      // are still at least kMinGroups a page, should that folder be a small
      // one among large.
      const size_t folders_here = page.common_prefixes.size();
      const size_t min_group =
          expand ? 1
                 : std::max<size_t>(
                       1, folders_here / (2 * static_cast<size_t>(std::max(1, options_.parallel))));
      const size_t max_group = std::max(min_group, folders_here / kMinGroups);
      ListBatch loose;
      size_t i = 0, j = 0;
      const auto& objects = page.objects;
      const auto& folders = page.common_prefixes;
      if (first_page && !straddling.empty()) {
        Folder(straddling, depth, expand);
        if (past_end_) return;
        after_prev = AfterFolder(straddling);
      }
      while (i < objects.size() || j < folders.size()) {
        if (Cancelled() || budget_->exhausted()) return;
        bool take_object =
            j >= folders.size() || (i < objects.size() && objects[i].key < folders[j]);
        const std::string& name = take_object ? objects[i].key : folders[j];
        if (!straddling.empty() && name <= straddling) {  // taken above, or before the range
          if (take_object) {
            ++i;
          } else {
            ++j;
          }
          continue;
        }
        Status bad = take_object ? check.CheckKey(name) : check.CheckFolder(name);
        if (!bad.ok()) {
          flush();
          if (pages_.Tell()) loose.problems.push_back(Problem{pages_.Where(name), bad, true});
          AddReady(std::move(loose));
          return;
        }
        if (take_object ? range_.through && name > *range_.through : range_.FolderAbove(name)) {
          past_end_ = true;  // everything after this lies past the range too
          flush();
          if (!loose.entries.empty()) AddReady(std::move(loose));
          return;
        }
        if (take_object) {
          flush();  // its keys come before this one
          pages_.Convert(objects[i], &loose);
          after_prev = objects[i].key;
          ++i;
          continue;
        }
        if (range_.FolderBelow(name)) {  // a gateway that ignored start-after
          ++j;
          continue;
        }
        if (!loose.entries.empty()) AddReady(std::exchange(loose, ListBatch()));
        const size_t per_group =
            keys_per_folder == 0 ? min_group
                                 : std::clamp(kGroupKeys / keys_per_folder, min_group, max_group);
        if (!expand && keys_per_folder == 0) {
          keys_per_folder = Probe(folders[j]);  // the level's first folder: its partition
        } else if (per_group > 1) {
          if (group.count == 0) group.start_after = after_prev;
          group.last = folders[j];
          if (++group.count == per_group) flush();
        } else {
          Folder(folders[j], depth, expand);
          if (past_end_) return;
        }
        after_prev = AfterFolder(folders[j]);
        ++j;
      }
      flush();
      if (!loose.entries.empty() || !loose.problems.empty()) AddReady(std::move(loose));
      if (!page.truncated) return;
      Status bad = check.CheckMarker(true, page.next_token, objects.empty() && folders.empty());
      if (!bad.ok()) return AddProblem(pages_.Where(prefix), bad);
      if (budget_->exhausted()) return;  // told by the partition that found it
      o.continuation = page.next_token;
    }
  }

  // The keys a group of small folders is made to hold: a page, less room
  // for the folders past the first to hold more.
  static constexpr size_t kGroupKeys = 800;
  static constexpr size_t kDenseFolder = 1000;  // a full page, or more
  static constexpr size_t kMinGroups = 4;

  // Consecutive folders of one level, to be listed as one partition.
  struct Group {
    std::string start_after, last;
    size_t count = 0;
  };

  // The name just after every key under `folder` ("a/" -> "a0": '0'
  // follows '/'), and before the level's next name.
  static std::string AfterFolder(const std::string& folder) {
    return folder.substr(0, folder.size() - 1) + "0";
  }

  // A folder of a level: a level of its own while levels are narrow,
  // otherwise a partition.
  void Folder(const std::string& folder, int depth, bool expand) {
    if (expand) {
      Level(folder, depth + 1, nullptr);
    } else {
      AddPartition(folder);
    }
  }

  bool Cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

  // Waits for room in the window, then appends `seg` and starts what can
  // be listed.
  void Add(SegmentPtr seg) {
    std::vector<SegmentPtr> fetch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        return cancelled_ || window_.size() < static_cast<size_t>(options_.parallel);
      });
      if (cancelled_) return;
      window_.push_back(std::move(seg));
      Kick(&fetch);
      cv_.notify_all();
    }
    for (auto& s : fetch) Fetch(s);
  }

  void AddReady(ListBatch batch) {
    auto seg = std::make_shared<Segment>();
    seg->ready.push_back(std::move(batch));
    seg->done = true;
    Add(std::move(seg));
  }

  void AddProblem(const std::string& where, const Status& why) {
    ListBatch b;
    b.problems.push_back(Problem{where, why, true});
    AddReady(std::move(b));
  }

  SegmentPtr NewPartition(const std::string& folder) {
    auto seg = std::make_shared<Segment>();
    seg->flat = true;
    seg->prefix = folder;
    seg->check = s3::PageCheck(folder, "", budget_);
    return seg;
  }

  void AddPartition(const std::string& folder) { Add(NewPartition(folder)); }

  void AddGroup(const std::string& level, Group g) {
    if (g.count == 1) return AddPartition(g.last);
    auto seg = std::make_shared<Segment>();
    seg->flat = true;
    seg->prefix = level;
    seg->group = true;
    seg->start_after = std::move(g.start_after);
    seg->last = std::move(g.last);
    seg->check = s3::PageCheck(level, "", budget_);
    Add(std::move(seg));
  }

  // Under mu_: marks the partitions that may request their next page now.
  // The one being read may run `pages_ahead` pages ahead; the others one.
  void Kick(std::vector<SegmentPtr>* fetch) {
    for (size_t i = 0; i < window_.size(); ++i) {
      Segment& s = *window_[i];
      if (s.flat && !s.done && !s.in_flight && budget_->exhausted()) {
        s.done = true;  // the side is over: one partition said why
        continue;
      }
      size_t room = i == 0 ? options_.pages_ahead : 1;
      if (s.flat && !s.done && !s.in_flight && s.ready.size() < room) {
        s.in_flight = true;
        fetch->push_back(window_[i]);
      }
    }
  }

  // What the partition's next page asks for.
  s3::ListOptions PageOptions(const Segment& seg) const {
    s3::ListOptions o;
    o.prefix = seg.prefix;
    o.continuation = seg.token;
    if (seg.token.empty()) {
      o.start_after = seg.start_after;
      if (range_.after && range_.after->starts_with(seg.prefix) && *range_.after > o.start_after) {
        o.start_after = *range_.after;
      }
    }
    return o;
  }

  // Requests the partition's next page; the answer arrives on the curl loop.
  void Fetch(const SegmentPtr& seg) {
    auto self = shared_from_this();
    client_.ListObjects(bucket_, PageOptions(*seg), [self, seg](StatusOr<s3::ListPage> page) {
      self->OnPage(seg, std::move(page));
    });
  }

  // A wide level's first folder, added as a partition whose first page the
  // discovery thread waits for: how many keys it holds (kDenseFolder when
  // there are more) tells how many of the level's folders make a group
  // worth a LIST of its own. The page is read on the curl loop as any
  // other.
  size_t Probe(const std::string& folder) {
    SegmentPtr seg = NewPartition(folder);
    Add(seg);
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return cancelled_ || seg->first_page_seen || seg->done; });
    return std::max<size_t>(1, seg->first_page_seen ? seg->first_page_keys : kDenseFolder);
  }

  // On the curl loop: checks and queues a page, and starts the next
  // requests there is room for. Never blocks. The segment's check is this
  // callback's alone: a partition has one page in flight at a time.
  void OnPage(const SegmentPtr& seg, StatusOr<s3::ListPage> page) {
    const size_t keys = !page.ok() || page->truncated ? kDenseFolder : page->objects.size();
    ListBatch batch;
    std::string token = seg->token;
    const bool done = pages_.TakePage(*seg, std::move(page), &batch, &token);
    std::vector<SegmentPtr> fetch;
    {
      std::lock_guard lock(mu_);
      seg->in_flight = false;
      if (!seg->first_page_seen) {
        seg->first_page_seen = true;
        seg->first_page_keys = keys;
      }
      if (cancelled_) {
        cv_.notify_all();
        return;
      }
      seg->token = std::move(token);
      seg->done = done;
      if (!batch.entries.empty() || !batch.problems.empty()) seg->ready.push_back(std::move(batch));
      Kick(&fetch);
      cv_.notify_all();
    }
    for (auto& s : fetch) Fetch(s);
  }

  const s3::Client& client_;
  const std::string bucket_, prefix_;
  const BucketListOptions options_;
  const KeyRange range_;  // with the prefix in front
  // Every page of every partition and level counts against it: the side
  // ends even when each page on its own looks right.
  const std::shared_ptr<s3::ListBudget> budget_;
  PageReader pages_;
  const bool flat_;
  bool past_end_ = false;  // the discovery thread's: a key past the range was met

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SegmentPtr> window_;
  bool discovery_done_ = false;
  bool cancelled_ = false;
};

class BucketStream final : public EntryStream {
 public:
  BucketStream(std::shared_ptr<Lister> lister, s3::ListPage first) : lister_(std::move(lister)) {
    thread_ = std::thread(
        [l = lister_, first = std::move(first)]() mutable { l->Discover(std::move(first)); });
  }
  ~BucketStream() override {
    lister_->Cancel();
    thread_.join();
  }
  bool Next(ListBatch* batch) override {
    *batch = ListBatch();
    return lister_->Next(batch);
  }
  uint64_t listed() const override { return lister_->listed(); }

 private:
  std::shared_ptr<Lister> lister_;
  std::thread thread_;
};

}  // namespace

StatusOr<std::unique_ptr<EntryStream>> OpenBucketStream(const s3::Client& client,
                                                        const std::string& bucket,
                                                        const std::string& prefix,
                                                        const BucketListOptions& options) {
  s3::ListOptions o;
  o.prefix = prefix;
  o.delimiter = "/";
  if (options.range.after) o.start_after = prefix + *options.range.after;
  auto first = s3::Wait<s3::ListPage>([&](auto done) { client.ListObjects(bucket, o, done); });
  if (!first.ok()) {
    if (first.status().code() == StatusCode::kNotFound && options.missing_ok) {
      return std::unique_ptr<EntryStream>(std::make_unique<EmptyStream>());
    }
    return first.status();
  }
  // One HEAD per side, once a first page says there is more (or has
  // folders): how many objects the gateway says the bucket holds. A listing
  // of one flat page costs none.
  const bool more = first->truncated || !first->common_prefixes.empty();
  auto budget = more ? s3::BudgetFor(client, bucket)
                     : std::make_shared<s3::ListBudget>(std::nullopt, client.options().list_limit);
  // A bucket of at most kFlatKeys objects is listed flat, page after page:
  // each LIST costs the gateway about as much as a page of a thousand keys
  // (RGW asks each shard of its index), so partitions, and the delimiter
  // levels that find them, cost more requests than they save time below
  // ten pages. A share of such a bucket (a range) is its part of the
  // pages: from the range's start-after to its last key.
  constexpr uint64_t kFlatKeys = 10'000;
  const bool flat = more && budget->count() && *budget->count() <= kFlatKeys;
  auto lister = std::make_shared<Lister>(client, bucket, prefix, options, std::move(budget), flat);
  return std::unique_ptr<EntryStream>(std::make_unique<BucketStream>(lister, std::move(*first)));
}

}  // namespace gwsync::sides
