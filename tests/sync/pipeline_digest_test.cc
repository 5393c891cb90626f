// Every file a sync reads or writes is recorded with the xxh3-128 of its
// bytes, in the index and in the run manifest, with the index or without
// it, whatever its size (read whole, hashed with its MD5, or sent and
// fetched in parts out of order); and --checksum then checks a file against
// that xxh3 instead of recomputing its MD5.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "hash/hash.h"
#include "manifest/manifest.h"
#include "session/run_manifest.h"
#include "sync/metadata.h"
#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

// A small file (read whole), one hashed with its MD5 in one read, and one
// over the multipart threshold (8 MiB here: parts of 5 MiB).
Tree ThreeSizes() {
  std::string large(9 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 7919) >> 8);
  return {{"small", "four"}, {"medium", std::string(100 << 10, 'm')}, {"large", large}};
}

// key -> xxh3 of every record of a folder's latest run manifest.
std::map<std::string, std::string> ManifestXxh3(const std::string& dst) {
  std::map<std::string, std::string> out;
  auto path = manifest::ResolveManifestPath(dst);
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  if (!path.ok()) return out;
  auto reader = manifest::Reader::Open(*path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  manifest::Record r;
  while (true) {
    auto more = (*reader)->Next(&r);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    out[r.key] = r.xxh3;
  }
  return out;
}

TEST_F(PipelineTest, EveryFileUploadedOrDownloadedIsRecordedWithItsXxh3) {
  const Tree tree = ThreeSizes();
  const std::string src = Dir("src"), dst = Dir("dst");
  WriteTree(src, tree);
  SyncOk(Local(src), Bucket("b"));
  SyncOk(Bucket("b"), Local(dst));
  ASSERT_EQ(ReadTree(dst), tree);
  for (const auto& [key, data] : tree) {
    EXPECT_EQ(Remembered(src, key)->xxh3, hash::Xxh3Hex(data)) << "uploaded " << key;
    EXPECT_EQ(Remembered(dst, key)->xxh3, hash::Xxh3Hex(data)) << "downloaded " << key;
  }
  ASSERT_TRUE(session::WriteRunManifest(Bucket("b"), Local(dst), options_, 0).ok());
  std::map<std::string, std::string> want;
  for (const auto& [key, data] : tree) want[key] = hash::Xxh3Hex(data);
  EXPECT_EQ(ManifestXxh3(dst), want);
}

TEST_F(PipelineTest, WithoutTheIndexTheManifestTakesTheXxh3TheDownloadKeptWithTheFile) {
  const Tree tree = ThreeSizes();
  PutTree("b", tree);
  const std::string dst = Dir("dst");
  options_.index = nullptr;
  SyncOk(Bucket("b"), Local(dst));
  char probe[1];
  if (getxattr((dst + "/small").c_str(), kHeadersXattr, probe, 0) < 0) {
    GTEST_SKIP() << "this file system keeps no user attributes";
  }
  ASSERT_TRUE(session::WriteRunManifest(Bucket("b"), Local(dst), options_, 0).ok());
  std::map<std::string, std::string> want;
  for (const auto& [key, data] : tree) want[key] = hash::Xxh3Hex(data);
  EXPECT_EQ(ManifestXxh3(dst), want);

  // A file changed since (size and time) is not the one the digests were
  // kept for: its record carries none.
  WriteFile(dst + "/small", "other bytes");
  ASSERT_TRUE(session::WriteRunManifest(Bucket("b"), Local(dst), options_, 0).ok());
  EXPECT_EQ(ManifestXxh3(dst)["small"], "");
}

// --checksum on a file whose index record holds the xxh3 of the very
// object the bucket has: the file is checked against that xxh3. A record
// whose xxh3 is not the file's is believed over the MD5 (which would call
// the two equal): proof that the xxh3 is what is read.
TEST_F(PipelineTest, ChecksumChecksAFileAgainstTheXxh3TheIndexRecordsOfTheSameObject) {
  const std::string src = Dir("src");
  WriteTree(src, {{"a", "alpha"}, {"b", "bravo"}});
  SyncOk(Local(src), Bucket("b"));
  options_.checksum = true;
  SyncReport same = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(same, "skip: same content"), 2u);
  EXPECT_EQ(gateway_.CountMethod("PUT"), 2);

  index::LocalRecord poisoned = *Remembered(src, "a");
  poisoned.xxh3 = hash::Xxh3Hex("not alpha");
  ASSERT_TRUE(index_->PutLocal(src, "a", poisoned).ok());
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(r, "upload"), 1u);
  EXPECT_EQ(Count(r, "skip: same content"), 1u);
  EXPECT_EQ(Remembered(src, "a")->xxh3, hash::Xxh3Hex("alpha"));

  // A record of another object (the bucket's changed since) is not used:
  // the MD5 decides.
  poisoned = *Remembered(src, "b");
  poisoned.xxh3 = hash::Xxh3Hex("not bravo");
  poisoned.etag = "0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(index_->PutLocal(src, "b", poisoned).ok());
  SyncReport other = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(other, "skip: same content"), 2u);
}

TEST_F(PipelineTest, ChecksumFindsAChangeTheStatHidesByTheRecordedXxh3) {
  const std::string src = Dir("src");
  WriteTree(src, {{"a", "alpha"}});
  SyncOk(Local(src), Bucket("b"));
  struct stat before = StatOf(src + "/a");
  WriteFile(src + "/a", "ALPHA");  // same size, same inode, time put back
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, (src + "/a").c_str(), times, 0), 0);

  EXPECT_EQ(Count(SyncOk(Local(src), Bucket("b")), "skip: unchanged"), 1u);
  options_.checksum = true;
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(r, "upload"), 1u);
  EXPECT_EQ(gateway_.GetObject("b", "a")->data, "ALPHA");
}

}  // namespace
}  // namespace gwsync::sync
