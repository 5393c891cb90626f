// One verdict for "is this copy right?" across the sync, its index, its run
// manifest and verify: a multipart object cut in parts of a size no
// candidate has (another tool's upload) is unverifiable. It is counted and
// named, never taken as in sync (the next run checks it again), marked in
// the manifest so that verify never calls it a match, and an error with
// --require-verified; through a byte-flipping proxy it never ends verified.
// An object gwsync uploaded records its part layout: damage is then proven.
#include "manifest/manifest.h"
#include "session/run_manifest.h"
#include "sides/bucket_side.h"
#include "sides/local_side.h"
#include "sides/manifest_side.h"
#include "sync/pipeline_fixture.h"
#include "verify/verify.h"

namespace gwsync::sync {
namespace {

// Three parts of 6,000,000 bytes (no tool's size, and no whole MiB) and a
// last of 1,000: 18,001,000 bytes whose multipart ETag no candidate part
// size reproduces.
std::vector<std::string> OddParts() {
  std::string all = RandomBytes(18001000, 7);
  return {all.substr(0, 6000000), all.substr(6000000, 6000000), all.substr(12000000, 6000000),
          all.substr(18000000)};
}
std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

class VerdictTest : public PipelineTest {
 protected:
  VerdictTest() { gateway_.set_min_part_size(5 << 20); }
  uint64_t Unverified(const SyncReport& r, const std::string& key) {
    uint64_t n = 0;
    for (const auto& [k, why] : r.unverified) {
      if (k == key) {
        ++n;
        EXPECT_NE(why.find("no part size reproduces"), std::string::npos) << why;
      }
    }
    return n;
  }
};

TEST_F(VerdictTest, AnUnknownPartSizeIsCountedNamedAndCheckedAgainNextRun) {
  const auto parts = OddParts();
  gateway_.PutMultipartObject("b", "odd", parts);
  gateway_.PutObject("b", "plain", "known");
  const std::string dst = Dir("dst");

  SyncReport r = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(r.unverified_count, 1u);
  EXPECT_EQ(Unverified(r, "s3://b/odd"), 1u);
  EXPECT_EQ(ReadTree(dst), (Tree{{"odd", Join(parts)}, {"plain", "known"}}));
  auto rec = Remembered(dst, "odd");
  ASSERT_TRUE(rec.has_value());
  EXPECT_TRUE(rec->unverified) << "not taken as in sync";
  EXPECT_FALSE(Remembered(dst, "plain")->unverified);

  // The next run does not skip it as unchanged: it is checked again.
  SyncReport again = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(again, "skip: unchanged"), 1u);  // "plain"
  EXPECT_EQ(Count(again, "download"), 1u);
  EXPECT_EQ(again.unverified_count, 1u);
}

TEST_F(VerdictTest, ThroughAByteFlippingProxyItNeverEndsVerified) {
  gateway_.PutMultipartObject("b", "odd", OddParts());
  gateway_.CorruptGets(FakeS3::OpKey("GetObject", "odd"));
  SyncReport r = SyncOk(Bucket("b"), Local(Dir("dst")));
  EXPECT_EQ(Unverified(r, "s3://b/odd"), 1u)
      << "damaged bytes without proof either way: unverified";
  EXPECT_TRUE(Remembered(Dir("dst"), "odd")->unverified);
}

TEST_F(VerdictTest, RequireVerifiedMakesItAnErrorAndKeepsNothing) {
  gateway_.PutMultipartObject("b", "odd", OddParts());
  gateway_.PutObject("b", "plain", "known");
  options_.require_verified = true;
  const std::string dst = Dir("dst");
  SyncReport r = Sync(Bucket("b"), Local(dst));
  EXPECT_EQ(r.error_count, 1u);
  EXPECT_NE(Errors(r).find("odd: no part size reproduces"), std::string::npos) << Errors(r);
  EXPECT_NE(Errors(r).find("--require-verified"), std::string::npos) << Errors(r);
  EXPECT_EQ(ReadTree(dst), (Tree{{"plain", "known"}}));  // no file, no temporary
  EXPECT_FALSE(Remembered(dst, "odd").has_value());
}

TEST_F(VerdictTest, DamageToAnObjectThatRecordsItsPartSizeIsAnError) {
  std::string all = RandomBytes(12 << 20, 3);
  std::vector<std::string> parts = {all.substr(0, 6 << 20), all.substr(6 << 20)};
  gateway_.PutMultipartObject("b", "ours", parts, {{"gwsync-part-size", std::to_string(6 << 20)}});
  const std::string dst = Dir("dst");
  // Undamaged: verified exactly, though 6 MiB is none of our candidates' first.
  SyncReport good = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(good.unverified_count, 0u);
  EXPECT_FALSE(Remembered(dst, "ours")->unverified);
  EXPECT_EQ(Remembered(dst, "ours")->part_size, 6u << 20);
  // Damaged: proven different, and nothing lands.
  const std::string dst2 = Dir("dst2");
  gateway_.CorruptGets(FakeS3::OpKey("GetObject", "ours"));
  SyncReport bad = Sync(Bucket("b"), Local(dst2));
  EXPECT_EQ(bad.error_count, 1u);
  EXPECT_NE(Errors(bad).find("recorded part size"), std::string::npos) << Errors(bad);
  EXPECT_EQ(ReadTree(dst2), Tree{});
}

// The run manifest marks the copy, and verify against the bucket (or the
// folder, content read) does not call it a match; the other key does match.
TEST_F(VerdictTest, TheManifestMarksItAndVerifyNeverCallsItAMatch) {
  gateway_.PutMultipartObject("b", "odd", OddParts());
  gateway_.PutObject("b", "plain", "known");
  const std::string dst = Dir("dst");
  SyncOk(Bucket("b"), Local(dst));
  options_.manifest.path = work_.File("manifest.jsonl.zst");
  auto written = session::WriteRunManifest(Bucket("b"), Local(dst), options_, 0);
  ASSERT_TRUE(written.ok()) << written.status().ToString();

  auto reader = manifest::Reader::Open(*written);
  ASSERT_TRUE(reader.ok());
  std::map<std::string, bool> marked;
  manifest::Record rec;
  while (*(*reader)->Next(&rec)) marked[rec.key] = rec.unverified;
  EXPECT_EQ(marked, (std::map<std::string, bool>{{"odd", true}, {"plain", false}}));

  for (bool content : {false, true}) {
    SCOPED_TRACE(content ? "the folder's files read" : "the manifest against the bucket");
    verify::Side src, dst_side;
    if (content) {
      auto bucket = sides::OpenBucketStream(client_, "b", "", sides::BucketListOptions());
      ASSERT_TRUE(bucket.ok());
      src.stream = std::move(*bucket);
      sides::LocalListOptions lo;
      auto folder = sides::OpenLocalStream(dst, lo);
      ASSERT_TRUE(folder.ok());
      dst_side.stream = std::move(*folder);
      dst_side.local_root = dst;
    } else {
      auto m = sides::OpenManifestStream(*written, plan::Filter(), nullptr);
      ASSERT_TRUE(m.ok());
      src.stream = std::move(*m);
      auto bucket = sides::OpenBucketStream(client_, "b", "", sides::BucketListOptions());
      ASSERT_TRUE(bucket.ok());
      dst_side.stream = std::move(*bucket);
    }
    verify::VerifyOptions vo;
    vo.content = content;
    verify::VerifyReport v = verify::Verify(std::move(src), std::move(dst_side), vo);
    EXPECT_EQ(v.unverified, 1u);
    EXPECT_EQ(v.matched, 1u);
    EXPECT_EQ(v.different, 0u) << "a good copy of an odd part size is not 'different'";
    EXPECT_FALSE(v.ok());
  }
}

// Between clusters the bytes pass through gwsync in parts of its own size:
// the copy's ETag cannot be compared with the source's, which is said.
TEST_F(VerdictTest, ACopyBetweenClustersOfAnUnknownPartSizeIsUnverified) {
  const auto parts = OddParts();
  gateway_.PutMultipartObject("b", "odd", parts);
  gateway_.CreateBucket("c");
  s3::Client other(&gateway_, FakeS3::ClientOptions("http://fake-s3:8000", "other-key"));
  Location to = Bucket("c");
  to.client = &other;
  to.remote_id = "http://fake-s3:8000 other-key";
  SyncReport r = SyncOk(Bucket("b"), to);
  EXPECT_EQ(r.unverified_count, 1u);
  EXPECT_EQ(gateway_.GetObject("c", "odd")->data, Join(parts));
  SyncReport again = SyncOk(Bucket("b"), to);
  EXPECT_EQ(Count(again, "copy"), 1u) << "not taken as in sync";
}

}  // namespace
}  // namespace gwsync::sync
