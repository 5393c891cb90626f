// --delete never removes what the user still has: not after an error in the
// run (a failed upload or copy, a listing page, an unreadable folder), not
// from a source that lists nothing, not beyond --max-delete; --force-delete
// lifts the last two only. What is checked is what stays.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

// Root reads any folder (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). This drops
// both from the calling thread's effective set while it lives; threads it
// starts (the sync's walker) inherit that, so a chmod 000 folder is as
// unreadable to them as to a backup user.
class WithoutRootReads {
 public:
  WithoutRootReads() {
    if (syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct dropped[2] = {saved_[0], saved_[1]};
    dropped[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    active_ = syscall(SYS_capset, &header_, dropped) == 0;
  }
  ~WithoutRootReads() {
    if (active_) syscall(SYS_capset, &header_, saved_);
  }

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2] = {};
  bool active_ = false;
};

class PipelineDeleteTest : public PipelineTest {
 protected:
  PipelineDeleteTest() { options_.delete_extra = true; }
};

TEST_F(PipelineDeleteTest, AFailedTransferDeletesNothing) {
  const std::string src = Dir("src");
  WriteTree(src, {{"a", "1"}, {"b", "2"}});
  PutTree("b", {{"a", "1"}, {"b", "old"}, {"stale", "s"}});
  gateway_.Fail(FakeS3::OpKey("PutObject", "b"), {403, "AccessDenied", Status::Ok(), -1});

  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(r.error_count, 2u);  // the upload, and the refusal
  EXPECT_NE(Errors(r).find("b: "), std::string::npos) << Errors(r);
  EXPECT_EQ(r.deletes_refused, 1u);
  ASSERT_EQ(r.delete_refusals.size(), 1u);
  EXPECT_NE(r.delete_refusals[0].find("1 errors happened"), std::string::npos);
  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"a", "1"}, {"b", "old"}, {"stale", "s"}}));
  EXPECT_EQ(gateway_.CountOp("DeleteObject") + gateway_.CountOp("DeleteObjects"), 0);
}

TEST_F(PipelineDeleteTest, BucketToBucketDeletesExtrasOnlyOnceEveryCopySucceeded) {
  PutTree("b", {{"a", "1"}, {"c", "3"}});
  PutTree("copy", {{"a", "1"}, {"extra", "x"}});
  gateway_.Fail(FakeS3::OpKey("CopyObject", "c"), {403, "AccessDenied", Status::Ok(), 1});
  SyncReport r = Sync(Bucket("b"), Bucket("copy"));
  EXPECT_NE(Errors(r).find("c: "), std::string::npos) << Errors(r);
  EXPECT_EQ(r.deletes_refused, 1u);
  EXPECT_TRUE(gateway_.GetObject("copy", "extra").has_value());

  SyncReport again = SyncOk(Bucket("b"), Bucket("copy"));
  EXPECT_EQ(Count(again, "copy"), 1u);
  EXPECT_EQ(Count(again, "delete"), 1u);
  EXPECT_EQ(gateway_.Contents("copy"), (Tree{{"a", "1"}, {"c", "3"}}));
}

TEST_F(PipelineDeleteTest, AListingPageThatFailsDeletesNothing) {
  PutTree("b", {{"c/1", "1"}, {"d/1", "2"}, {"d/2", "3"}});
  const std::string dst = Dir("dst");
  WriteTree(dst, {{"c/1", "1"}, {"d/1", "2"}, {"d/2", "3"}, {"extra", "x"}});
  // Every page of keys fails, not the first look at the root: a bucket this
  // small is then listed flat, page after page.
  gateway_.Fail(
      [](const testing::S3Call& c) {
        return c.op == "ListObjectsV2" && c.Query("delimiter").empty();
      },
      {403, "AccessDenied", Status::Ok(), -1});

  SyncReport r = Sync(Bucket("b"), Local(dst));
  EXPECT_GE(r.error_count, 1u) << Errors(r);
  EXPECT_EQ(r.deletes_refused, 4u);  // every file looks extra: no page was read
  EXPECT_EQ(ReadTree(dst), (Tree{{"c/1", "1"}, {"d/1", "2"}, {"d/2", "3"}, {"extra", "x"}}));
}

TEST_F(PipelineDeleteTest, AnUnreadableSourceFolderDeletesNothingAndIsNamed) {
  const std::string src = Dir("src");
  WriteTree(src, {{"a", "a"}, {"locked/x", "x"}, {"locked/y", "y"}, {"z", "z"}});
  SyncOk(Local(src), Bucket("b"));
  gateway_.PutObject("b", "stale", "gone from the source");

  ASSERT_EQ(chmod((src + "/locked").c_str(), 0), 0);
  SyncReport r;
  {
    WithoutRootReads as_a_user;
    r = Sync(Local(src), Bucket("b"));
  }
  chmod((src + "/locked").c_str(), 0755);
  EXPECT_NE(Errors(r).find(src + "/locked: "), std::string::npos) << Errors(r);
  EXPECT_NE(Errors(r).find("Permission denied"), std::string::npos) << Errors(r);
  EXPECT_EQ(r.deletes_refused, 3u);  // locked/x, locked/y and stale
  EXPECT_EQ(gateway_.Contents("b").size(), 5u);

  SyncReport again = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(again, "delete"), 1u);
  EXPECT_EQ(gateway_.Contents("b"),
            (Tree{{"a", "a"}, {"locked/x", "x"}, {"locked/y", "y"}, {"z", "z"}}));
}

TEST_F(PipelineDeleteTest, AnEmptySourceDeletesNothingUnlessForced) {
  PutTree("b", {{"k1", "1"}, {"k2", "2"}});
  const std::string empty = Dir("empty");
  fs::create_directories(empty);
  SyncReport r = Sync(Local(empty), Bucket("b"));
  ASSERT_EQ(r.delete_refusals.size(), 1u);
  EXPECT_NE(r.delete_refusals[0].find("the source lists nothing"), std::string::npos);
  EXPECT_NE(r.delete_refusals[0].find("--force-delete"), std::string::npos);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(gateway_.Contents("b").size(), 2u);

  // A mistyped prefix as the source of a restore.
  const std::string dst = Dir("dst");
  WriteTree(dst, {{"k1", "1"}, {"k2", "2"}});
  SyncReport typo = Sync(Bucket("b", "k1-typo/"), Local(dst));
  EXPECT_EQ(typo.deletes_refused, 2u);
  EXPECT_EQ(ReadTree(dst).size(), 2u);

  options_.force_delete = true;
  SyncReport forced = SyncOk(Local(empty), Bucket("b"));
  EXPECT_EQ(Count(forced, "delete"), 2u);
  EXPECT_TRUE(gateway_.Contents("b").empty());
}

// `n` keys, k1000, k1001, ... (the same order by name and by number).
Tree Keys(int n) {
  Tree t;
  for (int i = 0; i < n; ++i) t["k" + std::to_string(1000 + i)] = "x";
  return t;
}

TEST_F(PipelineDeleteTest, MaxDeleteZeroDeletesNothing) {
  PutTree("b", Keys(1000));
  const std::string src = Dir("src");
  WriteTree(src, Keys(400));
  options_.max_delete = *ParseDeleteLimit("0");
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(r.deletes_refused, 600u);
  ASSERT_EQ(r.delete_refusals.size(), 1u);
  EXPECT_NE(r.delete_refusals[0].find("not deleting 600 of 1000 objects: more than --max-delete 0"),
            std::string::npos)
      << r.delete_refusals[0];
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(gateway_.Contents("b").size(), 1000u);
}

// A refusal is one error, also once added into an every-bucket total.
TEST_F(PipelineDeleteTest, ARefusalIsCountedOnce) {
  PutTree("b", Keys(10));
  const std::string src = Dir("src");
  WriteTree(src, Keys(4));
  options_.max_delete = *ParseDeleteLimit("0");
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(r.error_count, 1u);
  EXPECT_TRUE(r.errors.empty());
  SyncReport total;
  total.Add(r, "b");
  EXPECT_EQ(total.error_count, 1u);
  ASSERT_EQ(total.delete_refusals.size(), 1u);
  EXPECT_EQ(total.delete_refusals[0].rfind("bucket b: not deleting 6 of 10 objects", 0), 0u)
      << total.delete_refusals[0];
}

// A stopped run (a signal) starts nothing new and deletes nothing; it says
// so in the report, not as an error of the data.
TEST_F(PipelineDeleteTest, AStoppedRunStartsNothingAndDeletesNothing) {
  PutTree("b", Keys(10));
  const std::string src = Dir("src");
  WriteTree(src, Keys(20));
  std::atomic<bool> stop{true};
  options_.stop = &stop;
  options_.delete_extra = true;
  options_.max_delete = *ParseDeleteLimit("100%");
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.error_count, 0u);
  EXPECT_EQ(gateway_.Contents("b").size(), 10u);
  SyncReport total;
  total.Add(r, "b");
  EXPECT_TRUE(total.interrupted);
}

TEST_F(PipelineDeleteTest, MaxDeleteCountsObjectsUpToTheLimit) {
  PutTree("b", Keys(10));
  const std::string src = Dir("src");
  WriteTree(src, Keys(1));
  options_.max_delete = *ParseDeleteLimit("8");
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(r.deletes_refused, 9u);
  EXPECT_EQ(gateway_.Contents("b").size(), 10u);

  options_.max_delete = *ParseDeleteLimit("9");
  EXPECT_EQ(Count(SyncOk(Local(src), Bucket("b")), "delete"), 9u);
  EXPECT_EQ(gateway_.Contents("b"), Keys(1));
}

TEST_F(PipelineDeleteTest, MaxDeletePercentIsOfTheDestinationAndForceLiftsIt) {
  PutTree("b", Keys(250));
  const std::string src = Dir("src");
  WriteTree(src, Keys(124));  // 126 of 250 would go: more than the default 50%
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(r.deletes_refused, 126u);
  ASSERT_EQ(r.delete_refusals.size(), 1u);
  EXPECT_NE(r.delete_refusals[0].find("--max-delete 50%"), std::string::npos);
  EXPECT_EQ(gateway_.Contents("b").size(), 250u);

  WriteTree(src, Keys(125));  // 125 of 250: exactly half
  EXPECT_EQ(Count(SyncOk(Local(src), Bucket("b")), "delete"), 125u);

  PutTree("b", Keys(250));
  const std::string one = Dir("one");
  WriteTree(one, Keys(1));
  options_.max_delete = *ParseDeleteLimit("0");
  options_.force_delete = true;  // said on purpose: done
  EXPECT_EQ(Count(SyncOk(Local(one), Bucket("b")), "delete"), 249u);
}

}  // namespace
}  // namespace gwsync::sync
