// A sync from a change feed (SyncOptions::changes) does what a listing's
// sync would for the keys it names, lists nothing, and hands each change
// back as finished only once its outcome is final: ok for applied, in sync,
// gone or outside the sync; not ok for a failure or a refused delete, so
// the feed delivers it again.
#include <mutex>

#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

// The changes given, in order; what became of each token.
class ListedChanges : public ChangeSource {
 public:
  explicit ListedChanges(std::vector<Change> changes) : changes_(std::move(changes)) {
    for (size_t i = 0; i < changes_.size(); ++i) changes_[i].token = 100 + i;
  }
  bool Next(Change* c) override {
    if (next_ == changes_.size()) return false;
    *c = changes_[next_++];
    return true;
  }
  void Finished(uint64_t token, bool ok) override {
    std::lock_guard lock(mu_);
    outcome_[changes_.at(token - 100).key].push_back(ok);
  }
  uint64_t ObjectCount() override { return object_count; }
  // Each key's outcomes, in the order given: every token once.
  std::map<std::string, std::vector<bool>> outcome() {
    std::lock_guard lock(mu_);
    return outcome_;
  }
  uint64_t object_count = 0;

 private:
  std::vector<Change> changes_;
  size_t next_ = 0;
  std::mutex mu_;
  std::map<std::string, std::vector<bool>> outcome_;
};

class PipelineFeedTest : public PipelineTest {
 protected:
  Change Created(const std::string& key) {
    auto obj = gateway_.GetObject("b", key);
    EXPECT_TRUE(obj.has_value()) << key;
    Change c;
    c.key = key;
    c.size = obj ? obj->data.size() : 0;
    c.etag = obj ? obj->etag : "";
    return c;
  }
  static Change Removed(const std::string& key) {
    Change c;
    c.key = key;
    c.removed = true;
    return c;
  }
  int Lists() { return gateway_.CountOp("ListObjectsV2") + gateway_.CountOp("ListObjects"); }
};

using Outcomes = std::map<std::string, std::vector<bool>>;

TEST_F(PipelineFeedTest, ChangesAreAppliedAsAFullSyncWouldWithoutAListing) {
  PutTree("b", {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  const std::string dst = Dir("dst");
  SyncOk(Bucket("b"), Local(dst));
  PutTree("b", {{"b", "two"}, {"d", "4"}});
  gateway_.DeleteObject("b", "c");

  options_.delete_extra = true;
  ListedChanges feed({Created("b"), Removed("c"), Created("d"), Created("a")});
  options_.changes = &feed;
  const int lists = Lists();
  const int gets = gateway_.CountOp("GetObject");
  SyncReport r = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Lists(), lists);
  EXPECT_EQ(gateway_.CountOp("GetObject") - gets, 2);  // b and d; a is unchanged
  EXPECT_EQ(Count(r, "download"), 2u);
  EXPECT_EQ(Count(r, "delete"), 1u);
  EXPECT_EQ(Count(r, "skip: unchanged"), 1u);
  EXPECT_EQ(ReadTree(dst), gateway_.Contents("b"));
  EXPECT_EQ(feed.outcome(), (Outcomes{{"a", {true}}, {"b", {true}}, {"c", {true}}, {"d", {true}}}));

  // The index learnt them: a full sync now has nothing to do.
  options_.changes = nullptr;
  SyncReport full = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(full, "download") + Count(full, "verify") + Count(full, "delete"), 0u);
  EXPECT_EQ(Count(full, "skip: unchanged"), 3u);
}

TEST_F(PipelineFeedTest, ChangesOutsideThePrefixOrFiltersAreFinishedAndLeftAlone) {
  PutTree("b", {{"p/a", "1"}, {"p/a.tmp", "2"}, {"q/a", "3"}});
  const std::string dst = Dir("dst");
  options_.filter.Exclude("*.tmp");
  ListedChanges feed({Created("p/a"), Created("p/a.tmp"), Created("q/a"), Removed("p")});
  options_.changes = &feed;
  SyncOk(Bucket("b", "p/"), Local(dst));
  EXPECT_EQ(ReadTree(dst), (Tree{{"a", "1"}}));
  EXPECT_EQ(feed.outcome(),
            (Outcomes{{"p", {true}}, {"p/a", {true}}, {"p/a.tmp", {true}}, {"q/a", {true}}}));
}

TEST_F(PipelineFeedTest, ARemovalWithoutDeleteKeepsTheFile) {
  PutTree("b", {{"a", "1"}});
  const std::string dst = Dir("dst");
  SyncOk(Bucket("b"), Local(dst));
  gateway_.DeleteObject("b", "a");
  ListedChanges feed({Removed("a")});
  options_.changes = &feed;
  SyncReport r = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(r, "skip: only at destination"), 1u);
  EXPECT_EQ(ReadTree(dst), (Tree{{"a", "1"}}));
  EXPECT_EQ(feed.outcome(), (Outcomes{{"a", {true}}}));
}

// A removal event is not the bucket's last word: a non-current version's
// removal (a versioned bucket), or a key written again since. The file
// stays, as the object still is.
TEST_F(PipelineFeedTest, ARemovalOfAKeyTheBucketStillHoldsDeletesNothing) {
  PutTree("b", {{"a", "1"}, {"b", "2"}});
  const std::string dst = Dir("dst");
  SyncOk(Bucket("b"), Local(dst));
  PutTree("b", {{"b", "two"}});
  options_.delete_extra = true;
  // "never" was never in the folder: a removal of nothing.
  ListedChanges feed({Removed("a"), Removed("never"), Removed("b")});
  options_.changes = &feed;
  SyncReport r = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(r, "delete"), 0u);
  EXPECT_EQ(ReadTree(dst), (Tree{{"a", "1"}, {"b", "two"}}));
  EXPECT_EQ(feed.outcome(), (Outcomes{{"a", {true}}, {"b", {true}}, {"never", {true}}}));
}

TEST_F(PipelineFeedTest, AFailureOrARefusedDeleteIsNotFinishedOk) {
  PutTree("b", {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  const std::string dst = Dir("dst");
  SyncOk(Bucket("b"), Local(dst));
  PutTree("b", {{"a", "one"}});
  gateway_.DeleteObject("b", "c");
  gateway_.Fail(FakeS3::OpKey("GetObject", "a"), {403, "AccessDenied", Status::Ok(), -1});
  options_.delete_extra = true;
  ListedChanges feed({Created("a"), Removed("c")});
  options_.changes = &feed;
  SyncReport r = Sync(Bucket("b"), Local(dst));
  EXPECT_EQ(r.deletes_refused, 1u);  // an error happened in the run
  EXPECT_EQ(ReadTree(dst), (Tree{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(feed.outcome(), (Outcomes{{"a", {false}}, {"c", {false}}}));
}

TEST_F(PipelineFeedTest, ADeleteBeyondMaxDeleteIsRefusedAgainstTheBucketsCount) {
  Tree tree;
  for (int i = 0; i < 4; ++i) tree["k" + std::to_string(i)] = "x";
  PutTree("b", tree);
  const std::string dst = Dir("dst");
  SyncOk(Bucket("b"), Local(dst));
  for (int i = 0; i < 3; ++i) gateway_.DeleteObject("b", "k" + std::to_string(i));
  options_.delete_extra = true;
  options_.max_delete.percent.reset();
  options_.max_delete.objects = 2;
  ListedChanges feed({Removed("k0"), Removed("k1"), Removed("k2")});
  feed.object_count = 1;
  options_.changes = &feed;
  SyncReport r = Sync(Bucket("b"), Local(dst));
  EXPECT_EQ(r.deletes_refused, 3u);
  EXPECT_EQ(ReadTree(dst).size(), 4u);
  EXPECT_EQ(feed.outcome(), (Outcomes{{"k0", {false}}, {"k1", {false}}, {"k2", {false}}}));
}

TEST_F(PipelineFeedTest, AnObjectGoneSinceItsChangeIsSkipped) {
  PutTree("b", {{"a", "1"}});
  Change a = Created("a");
  gateway_.DeleteObject("b", "a");
  ListedChanges feed({a});
  options_.changes = &feed;
  const std::string dst = Dir("dst");
  SyncReport r = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(r, "skip: gone since changed"), 1u);
  EXPECT_TRUE(ReadTree(dst).empty());
  EXPECT_EQ(feed.outcome(), (Outcomes{{"a", {true}}}));
}

// The machine's boundaries: no change at all, and one more change than
// there are slots.
TEST_F(PipelineFeedTest, NoChangesAndOneMoreThanTheSlotsBothFinish) {
  const std::string dst = Dir("dst");
  ListedChanges none({});
  options_.changes = &none;
  SyncReport empty = SyncOk(Bucket("b"), Local(dst));
  EXPECT_TRUE(empty.actions.empty());

  PutTree("b", {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  options_.concurrency = 2;
  ListedChanges feed({Created("a"), Created("b"), Created("c")});
  options_.changes = &feed;
  SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(ReadTree(dst), gateway_.Contents("b"));
  EXPECT_EQ(feed.outcome().size(), 3u);
}

TEST_F(PipelineFeedTest, AFeedIntoABucketIsRefused) {
  ListedChanges feed({});
  options_.changes = &feed;
  auto r = RunSync(Local(Dir("src")), Bucket("b"), options_);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gwsync::sync
