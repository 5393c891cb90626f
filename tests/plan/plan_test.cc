// The planner decides every key from the two listings and the index alone.
#include "plan/plan.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gwsync::plan {
namespace {

Entry File(std::string key, uint64_t size, int64_t mtime = 100, uint64_t inode = 7) {
  Entry e;
  e.key = std::move(key);
  e.size = size;
  e.mtime_ns = mtime;
  e.inode = inode;
  return e;
}

Entry Object(std::string key, uint64_t size, std::string etag = "e1") {
  Entry e;
  e.key = std::move(key);
  e.size = size;
  e.etag = std::move(etag);
  return e;
}

Remembered Synced(uint64_t size, int64_t mtime, uint64_t inode, std::string etag) {
  Remembered r;
  r.has_local = true;
  r.size = size;
  r.mtime_ns = mtime;
  r.inode = inode;
  r.etag = std::move(etag);
  return r;
}

PlanOptions Up(bool del = false) { return {Direction::kUpload, del, false}; }
PlanOptions Down(bool del = false) { return {Direction::kDownload, del, false}; }

TEST(DecideTest, NewFileIsUploadedAndNewObjectDownloaded) {
  EXPECT_EQ(Decide(File("a", 1), std::nullopt, std::nullopt, Up()).kind, ActionKind::kUpload);
  EXPECT_EQ(Decide(Object("a", 1), std::nullopt, std::nullopt, Down()).kind, ActionKind::kDownload);
}

TEST(DecideTest, SizeChangeTransfersWithoutReadingContent) {
  EXPECT_EQ(Decide(File("a", 2), Object("a", 1), std::nullopt, Up()).kind, ActionKind::kUpload);
  EXPECT_EQ(Decide(Object("a", 2), File("a", 1), std::nullopt, Down()).kind, ActionKind::kDownload);
}

TEST(DecideTest, IndexMatchSkipsWithoutReading) {
  auto r = Synced(5, 100, 7, "e1");
  Decision a = Decide(File("a", 5, 100, 7), Object("a", 5, "e1"), r, Up());
  EXPECT_EQ(a.kind, ActionKind::kSkip);
  EXPECT_EQ(a.reason, SkipReason::kUnchanged);
  a = Decide(Object("a", 5, "e1"), File("a", 5, 100, 7), r, Down());
  EXPECT_EQ(a.kind, ActionKind::kSkip);
}

TEST(DecideTest, AnythingTheIndexDoesNotProveIsVerified) {
  // Without an index, after a touch, after an inode change (file replaced),
  // after the object changed, and with --checksum: compare content.
  EXPECT_EQ(Decide(File("a", 5), Object("a", 5), std::nullopt, Up()).kind, ActionKind::kVerify);
  EXPECT_EQ(Decide(File("a", 5, 101, 7), Object("a", 5), Synced(5, 100, 7, "e1"), Up()).kind,
            ActionKind::kVerify);
  EXPECT_EQ(Decide(File("a", 5, 100, 8), Object("a", 5), Synced(5, 100, 7, "e1"), Up()).kind,
            ActionKind::kVerify);
  EXPECT_EQ(Decide(Object("a", 5, "e2"), File("a", 5), Synced(5, 100, 7, "e1"), Down()).kind,
            ActionKind::kVerify);
  PlanOptions checksum = Up();
  checksum.checksum = true;
  EXPECT_EQ(Decide(File("a", 5), Object("a", 5), Synced(5, 100, 7, "e1"), checksum).kind,
            ActionKind::kVerify);
}

TEST(DecideTest, ExtraDestinationKeysAreDeletedOnlyWithDelete) {
  Decision a = Decide(std::nullopt, Object("x", 1), std::nullopt, Up());
  EXPECT_EQ(a.kind, ActionKind::kSkip);
  EXPECT_EQ(a.reason, SkipReason::kExtra);
  EXPECT_EQ(Decide(std::nullopt, Object("x", 1), std::nullopt, Up(true)).kind, ActionKind::kDelete);
  EXPECT_EQ(Decide(std::nullopt, File("x", 1), std::nullopt, Down(true)).kind, ActionKind::kDelete);
}

// Every key comes down, whatever it is: one a folder cannot hold under its
// own name goes to the key store (its path is decided where it is written).
TEST(DecideTest, KeysAFolderCannotHoldStillComeDown) {
  for (const char* key : {"../x", "a/../../b", "/etc/passwd", "a//b", "./a", "a/.", "..", ".gwsync",
                          ".gwsync/manifest-latest", "dir/"}) {
    EXPECT_EQ(Decide(Object(key, 1), std::nullopt, std::nullopt, Down()).kind,
              ActionKind::kDownload)
        << key;
    EXPECT_TRUE(NeedsKeyStore(key, false)) << key;
  }
  EXPECT_FALSE(NeedsKeyStore("a/..b/c..", false));
  EXPECT_FALSE(NeedsKeyStore(".gwsyncx", false));
  EXPECT_FALSE(NeedsKeyStore("docker/registry/v2/blobs/sha256/00/00ab/data", false));
  EXPECT_TRUE(NeedsKeyStore(std::string(256, 'n'), false)) << "a name longer than 255 bytes";
  EXPECT_FALSE(NeedsKeyStore(std::string(255, 'n'), false));
  EXPECT_TRUE(NeedsKeyStore(std::string("nul\0byte", 8), false));
  // With --links, a link object whose link could not be made where it says.
  EXPECT_TRUE(NeedsKeyStore(".gwsync.rclonelink", true));
  EXPECT_TRUE(NeedsKeyStore("a//b.rclonelink", true));
  EXPECT_FALSE(NeedsKeyStore(".gwsync.rclonelink", false));
  EXPECT_FALSE(NeedsKeyStore("a/b.rclonelink", true));
}

TEST(DecideTest, MarkersAreObjectsAndABucketsAreNeverDeleted) {
  EXPECT_EQ(Decide(Object("dir/", 0), std::nullopt, std::nullopt, Down()).kind,
            ActionKind::kDownload);
  Decision a = Decide(std::nullopt, Object("dir/", 0), std::nullopt, Up(true));
  EXPECT_EQ(a.kind, ActionKind::kSkip);
  EXPECT_EQ(a.reason, SkipReason::kFolderMarker);
  // Kept in a folder's key store, a marker goes up again as the object it was.
  Entry stored = File("dir/", 19);
  stored.path = KeyStorePath("dir/");
  EXPECT_EQ(Decide(stored, std::nullopt, std::nullopt, Up()).kind, ActionKind::kUpload);
}

// The key store's names give their keys back, and sort as the keys do, so
// the store is read in key order beside the tree.
TEST(KeyStoreTest, PathsAreReversibleAndSortAsTheirKeys) {
  std::vector<std::string> keys = {"",
                                   "/",
                                   "//",
                                   "a",
                                   "a/",
                                   "a//b",
                                   "a-b",
                                   "a\xff",
                                   "\x01",
                                   std::string(99, 'x'),
                                   std::string(100, 'x'),
                                   std::string(101, 'x'),
                                   std::string(100, 'x') + "y",
                                   std::string(1024, '\xfe'),
                                   std::string(200, 'z')};
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> paths;
  for (const auto& k : keys) {
    std::string path = KeyStorePath(k);
    ASSERT_TRUE(path.starts_with(std::string(kKeyStoreDir) + "/")) << path;
    std::string rel = path.substr(kKeyStoreDir.size() + 1);
    for (size_t start = 0; start < rel.size();) {  // no name past 255 bytes
      size_t slash = std::min(rel.find('/', start), rel.size());
      EXPECT_LE(slash - start, 255u) << rel;
      start = slash + 1;
    }
    auto back = KeyFromStorePath(rel);
    ASSERT_TRUE(back.has_value()) << rel;
    EXPECT_EQ(*back, k);
    paths.push_back(rel);
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  for (const char* junk : {"61", "6.k", "zz.k", "616.k", "61/62.k", "notes.txt"}) {
    EXPECT_FALSE(KeyFromStorePath(junk).has_value()) << junk;
  }
}

// --create-empty-src-dirs: an empty folder goes up as a "dir/" marker, once.
TEST(DecideTest, EmptyFoldersGoUpAsMarkersWhenAsked) {
  EXPECT_EQ(Decide(File("dir/", 0), std::nullopt, std::nullopt, Up()).kind, ActionKind::kSkip);
  PlanOptions up = Up();
  up.empty_dirs = true;
  EXPECT_EQ(Decide(File("dir/", 0), std::nullopt, std::nullopt, up).kind, ActionKind::kUpload);
  EXPECT_EQ(Decide(File("dir/", 0), Object("dir/", 0), std::nullopt, up).reason,
            SkipReason::kFolderMarker);
}

TEST(DecideTest, ClusterCopyComparesEtags) {
  PlanOptions copy{Direction::kCopy, false, false};
  EXPECT_EQ(Decide(Object("a", 1, "x"), std::nullopt, std::nullopt, copy).kind, ActionKind::kCopy);
  EXPECT_EQ(Decide(Object("a", 1, "x"), Object("a", 1, "x"), std::nullopt, copy).reason,
            SkipReason::kSameEtag);
  EXPECT_EQ(Decide(Object("a", 1, "x"), Object("a", 1, "y"), std::nullopt, copy).kind,
            ActionKind::kCopy);
  Remembered r;
  r.source_etag = "x-3";
  r.etag = "y-2";  // re-uploaded with another part size: ETags differ, index knows
  EXPECT_EQ(Decide(Object("a", 1, "x-3"), Object("a", 1, "y-2"), r, copy).reason,
            SkipReason::kUnchanged);
}

TEST(FilterTest, FirstMatchWinsAndBareGlobsMatchTheBasename) {
  Filter f;
  f.Include("keep/*.tmp");
  f.Exclude("*.tmp");
  EXPECT_TRUE(f.Allows("keep/a.tmp"));
  EXPECT_FALSE(f.Allows("a/b/c.tmp"));
  EXPECT_TRUE(f.Allows("a/b/c.txt"));

  Filter only;
  only.Include("docker/*");
  EXPECT_TRUE(only.Allows("docker/registry/x"));
  EXPECT_FALSE(only.Allows("other/x"));
  EXPECT_TRUE(Filter().Allows("anything"));
}

}  // namespace
}  // namespace gwsync::plan
