// `gwsync sync --delete` can never remove what the user still has: deletes
// come last, and not at all after a source that could not be read whole, from
// a source that lists nothing, or beyond --max-delete. The binary against the
// real RGW; what is checked is what stays in the bucket or folder.
#include <sys/stat.h>

#include "e2e/sync_fixture.h"

namespace gwsync::e2e {
namespace {

class SyncDeleteTest : public SyncCliTest {
 protected:
  // gwsync without the capabilities that let root read any folder, so a
  // chmod 000 folder is unreadable to it as it would be to a backup user.
  Result SyncWithoutRootReads(const std::string& src, const std::string& dst,
                              std::vector<std::string> flags) {
    std::vector<std::string> args = {"--bounding-set=-dac_override,-dac_read_search",
                                     bin_,
                                     "--endpoint",
                                     endpoint_,
                                     "sync",
                                     src,
                                     dst,
                                     "--index",
                                     index_};
    args.insert(args.end(), flags.begin(), flags.end());
    Env env = Creds();
    env["HOME"] = home_.path();
    env["PATH"] = "/usr/bin:/bin";
    return e2e::Run("/usr/bin/setpriv", args, env, "");
  }
};

TEST_F(SyncDeleteTest, UnreadableSourceFolderDeletesNothingAndSaysWhy) {
  std::string src = work_.File("src");
  WriteTree(src, {{"a", "a"}, {"locked/x", "x"}, {"locked/y", "y"}, {"z", "z"}});
  ExpectOk(Sync(src, "s3://" + bucket_));
  Put(client(), bucket_, "stale", "gone from the source");
  Tree before = BucketTree(client(), bucket_);
  ASSERT_EQ(before.size(), 5u);

  ASSERT_EQ(chmod((src + "/locked").c_str(), 0), 0);
  Result r = SyncWithoutRootReads(src, "s3://" + bucket_, {"--delete"});
  chmod((src + "/locked").c_str(), 0755);
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_TRUE(Contains(r.err, src + "/locked")) << r;           // named
  EXPECT_TRUE(Contains(r.err, "Permission denied")) << r;       // and why
  EXPECT_TRUE(Contains(r.err, "not deleting 3 objects")) << r;  // locked/x, locked/y, stale
  EXPECT_EQ(BucketTree(client(), bucket_), before);

  // Readable again: the next run deletes the one real extra.
  Result again = Sync(src, "s3://" + bucket_, {"--delete"});
  ExpectOk(again);
  EXPECT_EQ(TextCount(again.out, "delete"), 1u) << again;
  EXPECT_EQ(BucketTree(client(), bucket_),
            (Tree{{"a", "a"}, {"locked/x", "x"}, {"locked/y", "y"}, {"z", "z"}}));
}

TEST_F(SyncDeleteTest, EmptySourceOrMistypedPrefixDeletesNothing) {
  PutTree(client(), bucket_, {{"docker/registry/a", "1"}, {"docker/registry/b", "2"}});
  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_ + "/docker/registry", dst));
  ASSERT_TRUE(SameTree(ReadTree(dst), {{"a", "1"}, {"b", "2"}}));

  // A typo in the prefix lists nothing: the backup must not be wiped.
  Result typo = Sync("s3://" + bucket_ + "/docker/regsitry", dst, {"--delete"});
  EXPECT_EQ(typo.exit_code, 1) << typo;
  EXPECT_TRUE(Contains(typo.err, "the source lists nothing")) << typo;
  EXPECT_TRUE(SameTree(ReadTree(dst), {{"a", "1"}, {"b", "2"}}));

  // An empty folder as the source of a restore.
  std::string empty = work_.File("empty");
  fs::create_directories(empty);
  Result up = Sync(empty, "s3://" + bucket_, {"--delete"});
  EXPECT_EQ(up.exit_code, 1) << up;
  EXPECT_TRUE(Contains(up.err, "--force-delete")) << up;
  EXPECT_EQ(BucketTree(client(), bucket_).size(), 2u);

  // Said on purpose, it is done.
  ExpectOk(Sync(empty, "s3://" + bucket_, {"--delete", "--force-delete"}));
  EXPECT_TRUE(BucketTree(client(), bucket_).empty());
}

TEST_F(SyncDeleteTest, MaxDeleteRefusesMassDeletesUnlessForced) {
  Tree tree;
  for (int i = 0; i < 10; ++i) tree["k" + std::to_string(i)] = std::to_string(i);
  PutTree(client(), bucket_, tree);
  std::string src = work_.File("src");
  WriteTree(src, {{"k0", "0"}});

  Result count = Sync(src, "s3://" + bucket_, {"--delete", "--max-delete", "5", "--json"});
  EXPECT_EQ(count.exit_code, 3) << count;
  json j = Report(count);
  EXPECT_EQ(j["deletes_refused"], 9u) << count;
  EXPECT_EQ(JsonCount(j, "delete"), 0u) << count;
  EXPECT_EQ(BucketTree(client(), bucket_).size(), 10u);

  Result percent = Sync(src, "s3://" + bucket_, {"--delete", "--max-delete", "50%"});
  EXPECT_EQ(percent.exit_code, 0) << percent;  // 9 of 10, but only 9: under the 100 floor
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"k0", "0"}}));

  PutTree(client(), bucket_, tree);
  // 0 deletes nothing, as in rclone and rsync (it used to mean "no limit").
  Result zero = Sync(src, "s3://" + bucket_, {"--delete", "--max-delete", "0"});
  EXPECT_EQ(zero.exit_code, 3) << zero;
  EXPECT_TRUE(Contains(zero.err, "not deleting 9 of 10 objects: more than --max-delete 0")) << zero;
  EXPECT_EQ(BucketTree(client(), bucket_).size(), 10u);

  // Nothing a user can type turns the limit off: a usage error, nothing done.
  for (const char* bad : {"lots", "0%", "nan", "inf", "-1", "150%", "1e3"}) {
    Result r = Sync(src, "s3://" + bucket_, {"--delete", "--max-delete", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r;
    EXPECT_TRUE(Contains(ExpectOneErrorLine(r), "--max-delete")) << bad;
  }
  EXPECT_EQ(BucketTree(client(), bucket_).size(), 10u);
  ExpectOk(Sync(src, "s3://" + bucket_, {"--delete", "--max-delete", "0", "--force-delete"}));
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"k0", "0"}}));
}

}  // namespace
}  // namespace gwsync::e2e
