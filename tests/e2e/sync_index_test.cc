// The index never blocks a backup: syncs of different pairs run at once with
// one index folder, a corrupt index costs reads, never the run, and a first
// backup into a new folder (named by a relative path) is remembered, so the
// next run reads nothing. The binary against the real RGW.
#include <thread>

#include "e2e/sync_fixture.h"

namespace gwsync::e2e {
namespace {

class SyncIndexTest : public SyncCliTest {};

TEST_F(SyncIndexTest, TwoNightlyJobsOnDifferentBucketsRunAtOnce) {
  std::string other = NewBucket("db-wal");
  PutTree(client(), bucket_, {{"registry/blob", RandomBytes(1 << 20, 1)}});
  PutTree(client(), other, {{"wal_005/000001", RandomBytes(1 << 20, 2)}});
  // Slowed down so the two runs overlap for seconds.
  Result a, b;
  std::thread ta([&] {
    a = Sync("s3://" + bucket_, work_.File("registry"), {"--bwlimit", "400K", "--json"});
  });
  std::thread tb([&] {
    b = Sync("s3://" + other, work_.File("db_wal"), {"--bwlimit", "400K", "--json"});
  });
  ta.join();
  tb.join();
  ExpectOk(a);
  ExpectOk(b);
  EXPECT_GT(a.seconds, 1.5) << "the runs did not overlap";
  EXPECT_EQ(JsonCount(Report(a), "download"), 1u) << a;
  EXPECT_EQ(JsonCount(Report(b), "download"), 1u) << b;
  // And each remembers its own pair.
  EXPECT_EQ(
      JsonCount(Report(Sync("s3://" + other, work_.File("db_wal"), {"--json"})), "skip: unchanged"),
      1u);
}

TEST_F(SyncIndexTest, CorruptIndexCostsReadsNotTheRun) {
  PutTree(client(), bucket_, {{"a", "alpha"}, {"b/c", "gamma"}});
  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_, dst));
  // Wreck every database in the index folder.
  int wrecked = 0;
  for (const auto& e : fs::recursive_directory_iterator(index_)) {
    if (e.path().filename() == "CURRENT") {
      WriteFile(e.path().string(), "garbage\n");
      ++wrecked;
    }
  }
  ASSERT_GT(wrecked, 0);
  Put(client(), bucket_, "new", "fresh");
  Result r = Sync("s3://" + bucket_, dst, {"--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(Contains(r.err, "going on without the index")) << r;
  json j = Report(r);
  EXPECT_EQ(JsonCount(j, "download"), 1u) << r;            // only "new" moves
  EXPECT_EQ(JsonCount(j, "skip: same content"), 2u) << r;  // the rest is re-read, not re-sent
  EXPECT_TRUE(SameTree(ReadTree(dst), {{"a", "alpha"}, {"b/c", "gamma"}, {"new", "fresh"}}));
}

TEST_F(SyncIndexTest, FirstBackupIntoANewRelativeFolderIsRemembered) {
  PutTree(client(), bucket_, {{"a", "alpha"}, {"b/c", "gamma"}});
  // A relative path, as an operator types it: the folder does not exist yet.
  std::string rel = fs::relative(work_.File("backup"), fs::current_path()).string();
  ASSERT_FALSE(rel.starts_with("/")) << rel;
  ExpectOk(Sync("s3://" + bucket_, rel));
  Result again = Sync("s3://" + bucket_, rel, {"--json"});
  ExpectOk(again);
  json j = Report(again);
  EXPECT_EQ(JsonCount(j, "skip: unchanged"), 2u) << again;  // no file read again
  EXPECT_EQ(JsonCount(j, "skip: same content"), 0u) << again;
}

}  // namespace
}  // namespace gwsync::e2e
