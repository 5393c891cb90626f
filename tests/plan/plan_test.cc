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

TEST(DecideTest, UnsafeKeysAreRefusedOnDownload) {
  for (const char* key : {"../x", "a/../../b", "/etc/passwd", "a//b", "./a", "a/.", ".."}) {
    Decision a = Decide(Object(key, 1), std::nullopt, std::nullopt, Down());
    EXPECT_EQ(a.kind, ActionKind::kSkip) << key;
    EXPECT_EQ(a.reason, SkipReason::kUnsafeKey) << key;
  }
  EXPECT_EQ(Decide(Object("a/..b/c..", 1), std::nullopt, std::nullopt, Down()).kind,
            ActionKind::kDownload);
}

TEST(DecideTest, FolderMarkersBecomeFoldersAndAreNeverDeleted) {
  EXPECT_EQ(Decide(Object("dir/", 0), std::nullopt, std::nullopt, Down()).kind, ActionKind::kMkdir);
  Decision a = Decide(std::nullopt, Object("dir/", 0), std::nullopt, Up(true));
  EXPECT_EQ(a.kind, ActionKind::kSkip);
  EXPECT_EQ(a.reason, SkipReason::kFolderMarker);
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
