// The local side is trusted no further than it should be: nothing is written
// or deleted through a link inside the destination, a bucket's metadata
// cannot make a setuid-root file or an overflowed time, and links in a
// source are named, not followed, unless asked. The binary against the real
// RGW; what is checked is what lands on disk and in the bucket.
#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>

#include "e2e/sync_fixture.h"

namespace gwsync::e2e {
namespace {

class SyncFsSafetyTest : public SyncCliTest {
 protected:
  // The local paths the notices name.
  static std::vector<std::string> NoticeKeys(const json& report) {
    std::vector<std::string> out;
    if (!report.contains("notices")) return out;
    for (const auto& n : report["notices"]) out.push_back(n["key"].get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
  }
};

// dest/lnkdir -> elsewhere: a key "lnkdir/x" is refused, not written there.
TEST_F(SyncFsSafetyTest, NeverWritesThroughALinkInTheDestination) {
  std::string dst = work_.File("dst"), elsewhere = work_.File("elsewhere");
  fs::create_directories(dst);
  fs::create_directories(elsewhere);
  ASSERT_EQ(symlink(elsewhere.c_str(), (dst + "/lnkdir").c_str()), 0);
  PutTree(client(), bucket_, {{"a", "a"}, {"lnkdir/x", "planted"}, {"lnkdir/sub/y", "planted"}});

  Result r = Sync("s3://" + bucket_, dst);
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_TRUE(Contains(r.err, dst + "/lnkdir")) << r;
  EXPECT_TRUE(Contains(r.err, "symbolic link")) << r;
  EXPECT_TRUE(ReadTree(elsewhere).empty()) << "written through the link";
  EXPECT_EQ(ReadFile(dst + "/a"), "a");
  EXPECT_TRUE(fs::is_symlink(dst + "/lnkdir"));
}

// What could not be synced is named as a user names it: the object by its
// URL (or REMOTE:BUCKET/KEY), the link by its path, neither glued to the
// bucket's name.
TEST_F(SyncFsSafetyTest, ProblemsAreNamedAsAUserNamesThem) {
  PutTree(client(), bucket_, {{"a", "a"}, {"lnkdir/x", "x"}});
  std::string remotes = work_.File("remotes.conf");
  WriteFile(remotes, "[gw]\nendpoint = " + endpoint_ + "\naccess_key = " + access_key_ +
                         "\nsecret_key = " + secret_key_ + "\n");
  for (const std::string& from : {"s3://" + bucket_, "gw:" + bucket_}) {
    std::string dst = work_.File("dst-" + from.substr(0, 2)), elsewhere = work_.File("elsewhere");
    fs::create_directories(dst);
    fs::create_directories(elsewhere);
    ASSERT_EQ(symlink(elsewhere.c_str(), (dst + "/lnkdir").c_str()), 0);
    Result r = Sync(from, dst, {"--remotes", remotes});
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_EQ(r.err, "gwsync: notice: " + dst + "/lnkdir: '" + dst +
                         "/lnkdir': a symbolic link, not followed (--copy-links follows links, "
                         "--links stores them)\n"
                         "gwsync: " +
                         from + "/lnkdir/x: '" + dst +
                         "/lnkdir' is a symbolic link: not followed, nothing is written or "
                         "deleted through it\n"
                         "gwsync: 1 objects failed\n")
        << r;
  }
}

// --delete removes what the destination has and the source lacks, but never
// what lies behind a link in the destination.
TEST_F(SyncFsSafetyTest, DeleteNeverRemovesFilesBehindALink) {
  std::string dst = work_.File("dst"), elsewhere = work_.File("elsewhere");
  WriteTree(dst, {{"a", "a"}, {"extra", "extra"}});
  WriteTree(elsewhere, {{"keep", "keep"}, {"deep/keep", "keep"}});
  ASSERT_EQ(symlink(elsewhere.c_str(), (dst + "/lnkdir").c_str()), 0);
  ASSERT_EQ(symlink((elsewhere + "/keep").c_str(), (dst + "/lnkfile").c_str()), 0);
  PutTree(client(), bucket_, {{"a", "a"}, {"b", "b"}});

  Result r = Sync("s3://" + bucket_, dst, {"--delete", "--force-delete", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  json j = Report(r);
  EXPECT_EQ(JsonCount(j, "delete"), 1u) << r;  // "extra" only
  EXPECT_TRUE(SameTree(ReadTree(elsewhere), {{"keep", "keep"}, {"deep/keep", "keep"}}));
  EXPECT_FALSE(fs::exists(dst + "/extra"));
  EXPECT_TRUE(fs::is_symlink(dst + "/lnkdir"));
  EXPECT_TRUE(fs::is_symlink(dst + "/lnkfile"));
  EXPECT_EQ(NoticeKeys(j), (std::vector<std::string>{dst + "/lnkdir", dst + "/lnkfile"})) << r;
}

// As root, an object that says mode=6777 uid=1234 is restored 0777 and ours,
// unless the user asks for the special bits and the owner.
TEST_F(SyncFsSafetyTest, SpecialBitsAndOwnerFromABucketAreNotTrusted) {
  if (geteuid() != 0) GTEST_SKIP() << "owners are restored only as root";
  Put(client(), bucket_, "tool", "#!/bin/sh\n",
      {{"mode", "6777"}, {"uid", "1234"}, {"gid", "1234"}, {"mtime", "1700000000"}});
  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_, dst, {"--no-index"}));
  struct stat st = Stat(dst + "/tool");
  const mode_t mask = umask(022);  // gwsync runs with the test's umask
  umask(mask);
  EXPECT_EQ(st.st_mode & 07777, 0777u & ~mask);  // the permission bits, less the umask
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);

  std::string trusted = work_.File("trusted");
  ExpectOk(Sync("s3://" + bucket_, trusted,
                {"--no-index", "--preserve-owner", "--preserve-special-bits"}));
  st = Stat(trusted + "/tool");
  EXPECT_EQ(st.st_mode & 07777, 06777u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 1234u);
}

// Times out of range are ignored (the object's Last-Modified is used), never
// overflowed into some other date.
TEST_F(SyncFsSafetyTest, TimesOutOfRangeFallBackToLastModified) {
  Put(client(), bucket_, "far", "x", {{"mtime", "17000000000"}});
  Put(client(), bucket_, "huge", "y", {{"mtime", "99999999999999999999.5"}, {"uid", "-5"}});
  // 18446744074 s in nanoseconds wraps past 2^64 to 0.29 s after 1970.
  Put(client(), bucket_, "wraps", "z", {{"mtime", "18446744074"}});
  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_, dst, {"--no-index"}));
  time_t now = time(nullptr);
  for (const char* name : {"far", "huge", "wraps"}) {
    struct stat st = Stat(dst + "/" + name);
    EXPECT_LT(std::llabs(static_cast<long long>(st.st_mtim.tv_sec - now)), 3600) << name;
  }
}

// Links in a source are named and skipped by default: `up -> ..` and
// `ext -> elsewhere` would otherwise multiply one file into many keys.
TEST_F(SyncFsSafetyTest, SourceLinksAreNoticedNotFollowed) {
  std::string src = work_.File("src"), elsewhere = work_.File("elsewhere");
  WriteTree(src, {{"f", "f"}, {"sub/g", "g"}});
  WriteTree(elsewhere, {{"secret", "s"}});
  ASSERT_EQ(symlink("..", (src + "/sub/up").c_str()), 0);
  ASSERT_EQ(symlink(elsewhere.c_str(), (src + "/ext").c_str()), 0);
  ASSERT_EQ(symlink("f", (src + "/flink").c_str()), 0);

  Result r = Sync(src, "s3://" + bucket_, {"--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  json j = Report(r);
  EXPECT_EQ(NoticeKeys(j),
            (std::vector<std::string>{src + "/ext", src + "/flink", src + "/sub/up"}));
  EXPECT_EQ(j["notice_count"], 3u);
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"f", "f"}, {"sub/g", "g"}}));

  // --copy-links follows them; the loop is noticed and skipped.
  Result follow = Sync(src, "s3://" + bucket_, {"--copy-links", "--json"});
  EXPECT_EQ(follow.exit_code, 0) << follow;
  EXPECT_EQ(NoticeKeys(Report(follow)), (std::vector<std::string>{src + "/sub/up"}));
  EXPECT_EQ(BucketTree(client(), bucket_),
            (Tree{{"ext/secret", "s"}, {"f", "f"}, {"flink", "f"}, {"sub/g", "g"}}));
}

// FIFOs, sockets and links that lead nowhere are named and counted, not
// synced and not errors.
TEST_F(SyncFsSafetyTest, SpecialFilesAreNamedAndCounted) {
  std::string src = work_.File("src");
  WriteTree(src, {{"f", "f"}});
  ASSERT_EQ(mkfifo((src + "/fifo").c_str(), 0644), 0);
  ASSERT_EQ(symlink("nowhere", (src + "/dangling").c_str()), 0);
  Result r = Sync(src, "s3://" + bucket_, {"--copy-links", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  json j = Report(r);
  EXPECT_EQ(NoticeKeys(j), (std::vector<std::string>{src + "/dangling", src + "/fifo"}));
  EXPECT_EQ(j["notice_count"], 2u);
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"f", "f"}}));
}

// --links: a link goes up as NAME.rclonelink holding its target (as rclone
// stores it) and comes back down as the same link; nothing is followed.
TEST_F(SyncFsSafetyTest, LinksAreStoredAndRestoredWithLinks) {
  std::string src = work_.File("src");
  WriteTree(src, {{"f", "f"}, {"sub/g", "g"}});
  ASSERT_EQ(symlink("/etc", (src + "/etc").c_str()), 0);
  ASSERT_EQ(symlink("../f", (src + "/sub/rel").c_str()), 0);
  ASSERT_EQ(symlink("nowhere", (src + "/dangling").c_str()), 0);

  ExpectOk(Sync(src, "s3://" + bucket_, {"--links"}));
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"dangling.rclonelink", "nowhere"},
                                                 {"etc.rclonelink", "/etc"},
                                                 {"f", "f"},
                                                 {"sub/g", "g"},
                                                 {"sub/rel.rclonelink", "../f"}}));
  Result again = Sync(src, "s3://" + bucket_, {"--links", "--json"});
  EXPECT_EQ(JsonCount(Report(again), "upload"), 0u) << again;

  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_, dst, {"--links"}));
  ASSERT_TRUE(fs::is_symlink(dst + "/etc"));
  EXPECT_EQ(fs::read_symlink(dst + "/etc"), "/etc");
  EXPECT_EQ(fs::read_symlink(dst + "/sub/rel"), "../f");
  EXPECT_EQ(fs::read_symlink(dst + "/dangling"), "nowhere");
  EXPECT_EQ(ReadFile(dst + "/f"), "f");
  Result down = Sync("s3://" + bucket_, dst, {"--links", "--json"});
  EXPECT_EQ(JsonCount(Report(down), "download"), 0u) << down;

  // A link gone from the bucket goes from the folder with --delete: the
  // link, never what it points to.
  Gw({"rm", "s3://" + bucket_ + "/sub/rel.rclonelink"});
  ExpectOk(Sync("s3://" + bucket_, dst, {"--links", "--delete", "--force-delete"}));
  EXPECT_FALSE(fs::is_symlink(dst + "/sub/rel"));
  EXPECT_EQ(ReadFile(dst + "/f"), "f");

  // Without --links the objects are plain files, as rclone leaves them.
  std::string plain = work_.File("plain");
  ExpectOk(Sync("s3://" + bucket_, plain));
  EXPECT_EQ(ReadFile(plain + "/etc.rclonelink"), "/etc");
}

// --create-empty-src-dirs: empty folders go up as "dir/" markers and come
// back down as folders.
TEST_F(SyncFsSafetyTest, EmptyFoldersRoundTripWhenAsked) {
  std::string src = work_.File("src");
  WriteTree(src, {{"f", "f"}, {"a/g", "g"}});
  fs::create_directories(src + "/empty");
  fs::create_directories(src + "/a/b/c");

  ExpectOk(Sync(src, "s3://" + bucket_));
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"a/g", "g"}, {"f", "f"}}));  // not by default

  ExpectOk(Sync(src, "s3://" + bucket_, {"--create-empty-src-dirs"}));
  EXPECT_EQ(BucketTree(client(), bucket_),
            (Tree{{"a/b/c/", ""}, {"a/g", "g"}, {"empty/", ""}, {"f", "f"}}));
  Result again = Sync(src, "s3://" + bucket_, {"--create-empty-src-dirs", "--json"});
  EXPECT_EQ(JsonCount(Report(again), "upload"), 0u) << again;

  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_, dst));
  EXPECT_TRUE(fs::is_directory(dst + "/empty"));
  EXPECT_TRUE(fs::is_directory(dst + "/a/b/c"));
  EXPECT_TRUE(SameTree(ReadTree(dst), {{"a/g", "g"}, {"f", "f"}}));
}

}  // namespace
}  // namespace gwsync::e2e
