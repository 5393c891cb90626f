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

}  // namespace
}  // namespace gwsync::manifest
