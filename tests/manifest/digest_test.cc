// The ETags a file is checked against: a plain MD5, and RGW's (S3's)
// multipart ETag, the MD5 of the concatenated part MD5s then "-N".
#include "manifest/digest.h"

#include <gtest/gtest.h>

#include "hash/hash.h"
#include "support/gateway.h"

namespace gwsync::manifest {
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

TEST(DigestTest, PlainMd5AndSha256) {
  TempDir dir;
  std::string data = Bytes(3 * kMiB + 17);
  WriteFile(dir.File("f"), data);
  auto d = DigestFile(dir.File("f"), 0, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size, data.size());
  EXPECT_EQ(d->md5, hash::Hex(hash::Md5(data)));
  EXPECT_EQ(d->sha256, hash::Sha256Hex(data));
  EXPECT_EQ(d->multipart, "");
}

TEST(DigestTest, MultipartEtagOfPartsIncludingAShortLastOne) {
  TempDir dir;
  std::string data = Bytes(12 * kMiB + 5);
  WriteFile(dir.File("f"), data);
  auto d = DigestFile(dir.File("f"), 5 * kMiB, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->multipart, ExpectedMultipart(data, 5 * kMiB));
  EXPECT_TRUE(d->multipart.ends_with("-3"));
  // Exactly two parts: no empty third one.
  WriteFile(dir.File("g"), data.substr(0, 10 * kMiB));
  auto g = DigestFile(dir.File("g"), 5 * kMiB, false);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->multipart.ends_with("-2")) << g->multipart;
}

TEST(DigestTest, FileMatchesEtagFindsThePartSize) {
  TempDir dir;
  std::string data = Bytes(20 * kMiB + 1);
  WriteFile(dir.File("f"), data);
  std::string computed;
  // Uploaded with 8 MiB parts: found without a hint.
  std::string etag = ExpectedMultipart(data, 8 * kMiB);
  auto same = FileMatchesEtag(dir.File("f"), etag, data.size(), 0, &computed);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(*same);
  EXPECT_EQ(computed, etag);
  // An odd part size needs the hint.
  etag = ExpectedMultipart(data, 7 * kMiB);
  same = FileMatchesEtag(dir.File("f"), etag, data.size(), 7 * kMiB, &computed);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(*same);
  // One byte changed: no part size matches.
  std::string changed = data;
  changed[9 * kMiB] ^= 1;
  WriteFile(dir.File("f"), changed);
  same =
      FileMatchesEtag(dir.File("f"), ExpectedMultipart(data, 8 * kMiB), data.size(), 0, &computed);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  // Plain MD5.
  same =
      FileMatchesEtag(dir.File("f"), hash::Hex(hash::Md5(changed)), changed.size(), 0, &computed);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(*same);
}

TEST(DigestTest, EtagParts) {
  EXPECT_EQ(EtagParts("0123456789abcdef0123456789abcdef-12"), 12u);
  EXPECT_EQ(EtagParts("0123456789abcdef0123456789abcdef"), 0u);
  EXPECT_EQ(EtagParts("xyz-2"), 0u);
}

TEST(DigestTest, PartSizeCandidatesSplitIntoThatManyParts) {
  for (uint64_t p : PartSizeCandidates(100 * kMiB, 7, 0)) {
    EXPECT_EQ((100 * kMiB + p - 1) / p, 7u) << p;
  }
  auto c = PartSizeCandidates(100 * kMiB, 7, 15 * kMiB);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c.front(), 15 * kMiB);
}

}  // namespace
}  // namespace gwsync::manifest
