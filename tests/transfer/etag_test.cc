// The one check of bytes against an ETag (transfer/etag.h) and its three
// answers: verified, different only with proof (a plain MD5, or the part
// layout the object records), and unverifiable when no candidate part size
// reproduces a multipart ETag: never "verified" on a guess.
#include "transfer/etag.h"

#include <gtest/gtest.h>

#include "hash/hash.h"
#include "support/gateway.h"
#include "transfer/object_transfer.h"

namespace gwsync::transfer {
namespace {

using gwsync::testing::TempDir;
using gwsync::testing::WriteFile;

constexpr uint64_t kMiB = 1 << 20;

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919 + i / 4096) & 0xff);
  return s;
}

// The multipart ETag computed independently, from whole strings.
std::string ExpectedMultipart(const std::string& data, uint64_t part) {
  std::string concat;
  size_t n = 0;
  for (size_t off = 0; off < data.size(); off += part, ++n) {
    auto d = hash::Md5(std::string_view(data).substr(off, part));
    concat.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  return hash::Hex(hash::Md5(concat)) + "-" + std::to_string(n);
}

Verdict Check(const std::string& path, const std::string& data, const std::string& etag,
              std::optional<PartLayout> recorded = std::nullopt, uint64_t hint = 0) {
  auto r = CheckFile(path, data.size(), etag, recorded, hint);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok() && r->verdict != Verdict::kVerified) {
    EXPECT_FALSE(r->why.empty());
  }
  return r.ok() ? r->verdict : Verdict::kUnverifiable;
}

TEST(EtagTest, PlainMd5IsVerifiedOrProvenDifferent) {
  TempDir dir;
  std::string data = Bytes(3 * kMiB + 17);
  WriteFile(dir.File("f"), data);
  EXPECT_EQ(Check(dir.File("f"), data, hash::Hex(hash::Md5(data))), Verdict::kVerified);
  std::string changed = data;
  changed[kMiB] ^= 1;
  EXPECT_EQ(Check(dir.File("f"), data, hash::Hex(hash::Md5(changed))), Verdict::kDifferent);
}

TEST(EtagTest, MultipartOfACommonOrHintedPartSizeIsVerified) {
  TempDir dir;
  std::string data = Bytes(20 * kMiB + 1);
  WriteFile(dir.File("f"), data);
  // Uploaded with 8 MiB parts (boto3's): found without a hint.
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 8 * kMiB)), Verdict::kVerified);
  // An odd part size needs the hint (or the layout recorded).
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 7 * kMiB), std::nullopt, 7 * kMiB),
            Verdict::kVerified);
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 7 * kMiB), PartLayout{7 * kMiB}),
            Verdict::kVerified);
}

// The case sync and verify must agree on: a good copy of an object cut in a
// part size no candidate has is unverifiable (not "different"), and so is a
// damaged copy of one whose part size is not recorded: no proof either way.
TEST(EtagTest, MultipartOfAnUnknownPartSizeIsUnverifiableWhetherRightOrWrong) {
  TempDir dir;
  std::string data = Bytes(20 * kMiB + 1);
  WriteFile(dir.File("f"), data);
  // 6,000,000-byte parts: no tool's size, and no whole MiB.
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 6000000)), Verdict::kUnverifiable);
  std::string changed = data;
  changed[9 * kMiB] ^= 1;
  WriteFile(dir.File("f"), changed);
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 8 * kMiB)), Verdict::kUnverifiable)
      << "a guess that fails is no proof of damage";
  // With the layout recorded, it is proof.
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 8 * kMiB), PartLayout{8 * kMiB}),
            Verdict::kDifferent);
  // A layout that cannot give the ETag's part count is a difference too.
  EXPECT_EQ(Check(dir.File("f"), data, ExpectedMultipart(data, 8 * kMiB), PartLayout{5 * kMiB}),
            Verdict::kDifferent);
}

TEST(EtagTest, AnEtagOfNoKnownFormIsUnverifiable) {
  TempDir dir;
  std::string data = Bytes(1000);
  WriteFile(dir.File("f"), data);
  EXPECT_EQ(Check(dir.File("f"), data, "sse-c-0123"), Verdict::kUnverifiable);
}

TEST(EtagTest, AShorterFileIsDifferent) {
  TempDir dir;
  std::string data = Bytes(1000);
  WriteFile(dir.File("f"), data.substr(0, 999));
  EXPECT_EQ(Check(dir.File("f"), data, hash::Hex(hash::Md5(data))), Verdict::kDifferent);
}

TEST(EtagTest, EtagParts) {
  EXPECT_EQ(EtagParts("0123456789abcdef0123456789abcdef-12"), 12u);
  EXPECT_EQ(EtagParts("0123456789abcdef0123456789abcdef"), 0u);
  EXPECT_EQ(EtagParts("xyz-2"), 0u);
}

TEST(EtagTest, PartSizeCandidatesSplitIntoThatManyParts) {
  for (uint64_t p : PartSizeCandidates(100 * kMiB, 7, 0)) {
    EXPECT_EQ((100 * kMiB + p - 1) / p, 7u) << p;
  }
  auto c = PartSizeCandidates(100 * kMiB, 7, 15 * kMiB);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c.front(), 15 * kMiB);
}

}  // namespace
}  // namespace gwsync::transfer

namespace gwsync::transfer {
namespace {

// The xxh3-128 is the one `xxh128sum` prints: the empty input's is the
// reference implementation's published value.
TEST(EtagTest, Xxh3IsTheCanonicalXxh128) {
  EXPECT_EQ(hash::Xxh3Hex(""), "99aa06d3014798d86001c324468d497f");
  hash::Xxh3Hasher h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.FinishHex(), hash::Xxh3Hex("abc"));
}

// Every read reports the content's xxh3, whatever the verdict; with a
// recorded xxh3 the bytes are judged by it alone: a match is verified even
// against an ETag no part size reproduces, a mismatch is a proven
// difference, and a wrong length is one too.
TEST(EtagTest, ARecordedXxh3JudgesTheBytesAndEveryCheckReportsTheirs) {
  TempDir dir;
  std::string data = Bytes(2 * kMiB + 5);
  WriteFile(dir.File("f"), data);
  const std::string md5 = hash::Hex(hash::Md5(data));
  auto plain = CheckFile(dir.File("f"), data.size(), md5, std::nullopt, 0);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->verdict, Verdict::kVerified);
  EXPECT_EQ(plain->xxh3, hash::Xxh3Hex(data));

  const std::string odd = "0123456789abcdef0123456789abcdef-7";  // no size makes it
  auto by_xxh3 = CheckFile(dir.File("f"), data.size(), odd, std::nullopt, 0, hash::Xxh3Hex(data));
  ASSERT_TRUE(by_xxh3.ok());
  EXPECT_EQ(by_xxh3->verdict, Verdict::kVerified) << by_xxh3->why;

  std::string changed = data;
  changed[kMiB] ^= 1;
  auto differs =
      CheckFile(dir.File("f"), data.size(), md5, std::nullopt, 0, hash::Xxh3Hex(changed));
  ASSERT_TRUE(differs.ok());
  EXPECT_EQ(differs->verdict, Verdict::kDifferent);
  EXPECT_NE(differs->why.find("xxh3"), std::string::npos) << differs->why;

  auto shorter =
      CheckFile(dir.File("f"), data.size() + 1, "", std::nullopt, 0, hash::Xxh3Hex(data));
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->verdict, Verdict::kDifferent);
}

}  // namespace
}  // namespace gwsync::transfer
