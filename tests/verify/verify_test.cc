// The verify walk over two listings: which keys it names missing, extra or
// different, and what it compares (sizes, ETags where both sides know one,
// mtimes where both do, a folder's content with --content).
#include "verify/verify.h"

#include <gtest/gtest.h>

#include "hash/hash.h"
#include "support/gateway.h"

namespace gwsync::verify {
namespace {

using gwsync::testing::TempDir;
using gwsync::testing::WriteFile;

// A listing from memory, in batches of two (to cross batch boundaries).
class VectorStream final : public sides::EntryStream {
 public:
  explicit VectorStream(std::vector<plan::Entry> entries, std::vector<sides::Problem> problems = {})
      : entries_(std::move(entries)), problems_(std::move(problems)) {}
  bool Next(sides::ListBatch* batch) override {
    *batch = sides::ListBatch();
    if (!problems_.empty()) batch->problems = std::move(problems_);
    problems_.clear();
    for (int i = 0; i < 2 && pos_ < entries_.size(); ++i)
      batch->entries.push_back(entries_[pos_++]);
    return !batch->entries.empty() || !batch->problems.empty();
  }
  uint64_t listed() const override { return pos_; }

 private:
  std::vector<plan::Entry> entries_;
  std::vector<sides::Problem> problems_;
  size_t pos_ = 0;
};

plan::Entry E(std::string key, uint64_t size, std::string etag = "", int64_t mtime = 0) {
  plan::Entry e;
  e.key = std::move(key);
  e.size = size;
  e.etag = std::move(etag);
  e.mtime_ns = mtime;
  return e;
}

Side S(std::vector<plan::Entry> entries, std::string root = "") {
  Side s;
  s.stream = std::make_unique<VectorStream>(std::move(entries));
  s.name = "side";
  s.local_root = std::move(root);
  return s;
}

std::string Md5(const std::string& data) { return hash::Hex(hash::Md5(data)); }

std::vector<std::string> Named(const VerifyReport& r, DifferenceKind kind) {
  std::vector<std::string> out;
  for (const auto& d : r.differences) {
    if (d.kind == kind) out.push_back(d.key);
  }
  return out;
}

const std::string kA = Md5("a"), kB = Md5("b");

TEST(VerifyTest, NamesMissingExtraAndDifferentKeys) {
  std::vector<std::string> printed;
  VerifyOptions o;
  o.on_difference = [&](const Difference& d) { printed.push_back(d.key); };
  VerifyReport r = Verify(S({E("a", 1), E("b", 1), E("c", 3), E("d", 1, kA), E("f", 1, kA)}),
                          S({E("b", 1), E("c", 4), E("d", 1, kB), E("e", 1), E("f", 1, kA)}), o);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Named(r, DifferenceKind::kMissing), std::vector<std::string>{"a"});
  EXPECT_EQ(Named(r, DifferenceKind::kExtra), std::vector<std::string>{"e"});
  EXPECT_EQ(Named(r, DifferenceKind::kDifferent), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(r.matched, 2u);  // b (by size), f (by ETag)
  EXPECT_EQ(r.etags_compared, 2u);
  EXPECT_EQ(r.source_objects, 5u);
  EXPECT_EQ(r.destination_objects, 5u);
  EXPECT_EQ(printed.size(), 4u);
}

TEST(VerifyTest, SameKeysMatch) {
  VerifyReport r = Verify(S({E("a", 1, kA), E("b", 2)}), S({E("a", 1, kA), E("b", 2)}), {});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.matched, 2u);
  EXPECT_EQ(r.matched_bytes, 3u);
}

TEST(VerifyTest, MultipartEtagsOfOtherPartCountsAreNotCompared) {
  // The same bytes copied with another part size: not a difference.
  VerifyReport r = Verify(S({E("a", 100, kA + "-2")}), S({E("a", 100, kB + "-3")}), {});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.etags_compared, 0u);
  r = Verify(S({E("a", 100, kA + "-2")}), S({E("a", 100, kB + "-2")}), {});
  EXPECT_EQ(Named(r, DifferenceKind::kDifferent), std::vector<std::string>{"a"});
}

TEST(VerifyTest, MtimeComparedOnlyWhenBothSidesKnowIt) {
  VerifyReport r = Verify(S({E("a", 1, "", 5)}), S({E("a", 1, "", 6)}), {});
  EXPECT_EQ(Named(r, DifferenceKind::kDifferent), std::vector<std::string>{"a"});
  r = Verify(S({E("a", 1, kA, 0)}), S({E("a", 1, "", 6)}), {});
  EXPECT_TRUE(r.ok());
}

TEST(VerifyTest, AListingThatFailedIsNoProof) {
  Side src = S({E("a", 1)});
  Side dst;
  dst.stream = std::make_unique<VectorStream>(
      std::vector<plan::Entry>{E("a", 1)},
      std::vector<sides::Problem>{{"s3://b/x/", Unavailable("listing failed"), true}});
  VerifyReport r = Verify(std::move(src), std::move(dst), {});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.matched, 1u);
}

TEST(VerifyTest, ContentReadsTheFolderAgainstTheOtherSidesEtags) {
  TempDir dir;
  std::vector<plan::Entry> bucket, folder;
  for (int i = 0; i < 20; ++i) {
    std::string key = "f" + std::to_string(100 + i), data = "data " + std::to_string(i);
    WriteFile(dir.File(key), i == 7 ? "DATA " + std::to_string(i) : data);  // same size
    bucket.push_back(E(key, data.size(), Md5(data)));
    folder.push_back(E(key, data.size()));
  }
  bucket.push_back(E("nometag", 1));  // no ETag: nothing to read it against
  WriteFile(dir.File("nometag"), "x");
  folder.push_back(E("nometag", 1));
  VerifyOptions o;
  o.content = true;
  o.parallel = 3;
  VerifyReport r = Verify(S(bucket), S(folder, dir.path()), o);
  EXPECT_EQ(Named(r, DifferenceKind::kDifferent), std::vector<std::string>{"f107"});
  EXPECT_EQ(r.contents_read, 19u);
  EXPECT_EQ(r.unchecked, 1u);
  EXPECT_EQ(r.matched, 20u);
  // The folder may be either side.
  r = Verify(S(folder, dir.path()), S(bucket), o);
  EXPECT_EQ(Named(r, DifferenceKind::kDifferent), std::vector<std::string>{"f107"});
}

// A manifest's record with an xxh3: the file is read against it (not the
// ETag, which may be one no part size reproduces), a byte changed under the
// same size is different, and a record with only an xxh3 is read too.
TEST(VerifyTest, ContentChecksTheXxh3AManifestRecords) {
  TempDir dir;
  std::vector<plan::Entry> manifest, folder;
  for (int i = 0; i < 6; ++i) {
    std::string key = "f" + std::to_string(i), data = "data " + std::to_string(i);
    WriteFile(dir.File(key), i == 3 ? "DATA 3" : data);
    plan::Entry e = E(key, data.size(), i == 5 ? "" : "0123456789abcdef0123456789abcdef-2");
    e.xxh3 = hash::Xxh3Hex(data);
    manifest.push_back(e);
    folder.push_back(E(key, data.size()));
  }
  VerifyOptions o;
  o.content = true;
  VerifyReport r = Verify(S(manifest), S(folder, dir.path()), o);
  EXPECT_EQ(Named(r, DifferenceKind::kDifferent), std::vector<std::string>{"f3"});
  ASSERT_FALSE(r.differences.empty());
  EXPECT_NE(r.differences[0].why.find("xxh3"), std::string::npos) << r.differences[0].why;
  EXPECT_EQ(r.unverified, 0u);
  EXPECT_EQ(r.unchecked, 0u);
  EXPECT_EQ(r.contents_read, 5u);
  EXPECT_EQ(r.contents_by_xxh3, 5u);
  EXPECT_EQ(r.matched, 5u);
}

// An every-bucket verify adds each bucket's report up: a key one bucket
// could not prove leaves the whole unproven (it once summed every count but
// the unverified ones, and said OK).
TEST(VerifyTest, MergingReportsKeepsEveryCountAndNamesKeysByBucket) {
  VerifyReport total;
  VerifyReport a;
  a.matched = 2;
  a.contents_read = 2;
  a.contents_by_xxh3 = 1;
  VerifyReport b;
  b.Add({DifferenceKind::kUnverified, "odd", "no part size reproduces it"});
  b.own_manifests = 1;
  b.unchecked = 1;
  total.Merge(std::move(a), "one/");
  EXPECT_TRUE(total.ok());
  total.Merge(std::move(b), "two/");
  EXPECT_FALSE(total.ok());
  EXPECT_EQ(total.unverified, 1u);
  EXPECT_EQ(total.unchecked, 1u);
  EXPECT_EQ(total.own_manifests, 1u);
  EXPECT_EQ(total.matched, 2u);
  EXPECT_EQ(total.contents_by_xxh3, 1u);
  EXPECT_EQ(Named(total, DifferenceKind::kUnverified), std::vector<std::string>{"two/odd"});
}

}  // namespace
}  // namespace gwsync::verify
