// Run manifests: what is written is read back, field for field, and a
// manifest that was cut short, reordered or is not one is refused, never
// read as a smaller backup.
#include "manifest/manifest.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/gateway.h"

namespace gwsync::manifest {
namespace {

using gwsync::testing::ReadFile;
using gwsync::testing::TempDir;
using gwsync::testing::WriteFile;

Header TestHeader() {
  Header h;
  h.source = "s3://registry";
  h.source_endpoint = "http://127.0.0.1:7480";
  h.destination = "/backup/registry";
  h.sha256 = true;
  h.sync_errors = 3;
  StampNow(&h);
  return h;
}

std::vector<Record> TestRecords(int n) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r;
    char key[32];
    std::snprintf(key, sizeof key, "dir/%06d", i);
    r.key = key;
    r.size = static_cast<uint64_t>(i) * 1000;
    r.mtime_ns = 1700000000123456789 + i;
    r.mode = 0644;
    r.etag = i % 2 ? "0123456789abcdef0123456789abcdef" : "0123456789abcdef0123456789abcdef-3";
    if (i % 2) r.md5 = r.etag;
    r.sha256 = std::string(64, 'a');
    if (i % 3) r.xxh3 = "0123456789abcdef0123456789abcde" + std::to_string(i % 10);
    if (i % 2 == 0) r.part_size = 16 << 20;
    out.push_back(r);
  }
  return out;
}

void Write(const std::string& path, const Header& h, const std::vector<Record>& records) {
  auto w = Writer::Create(path, h);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& r : records) ASSERT_TRUE((*w)->Add(r).ok());
  auto totals = (*w)->Finish();
  ASSERT_TRUE(totals.ok()) << totals.status().ToString();
  EXPECT_EQ(totals->objects, records.size());
}

TEST(ManifestTest, RoundTripKeepsEveryField) {
  TempDir dir;
  std::string path = dir.File("m.jsonl.zst");
  Header h = TestHeader();
  std::vector<Record> records = TestRecords(5000);  // several zstd blocks
  Write(path, h, records);

  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->header().source, h.source);
  EXPECT_EQ((*r)->header().source_endpoint, h.source_endpoint);
  EXPECT_EQ((*r)->header().destination, h.destination);
  EXPECT_EQ((*r)->header().run, h.run);
  EXPECT_EQ((*r)->header().time, h.time);
  EXPECT_TRUE((*r)->header().sha256);
  EXPECT_EQ((*r)->header().sync_errors, 3u);
  size_t i = 0;
  Record got;
  for (;;) {
    auto more = (*r)->Next(&got);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_LT(i, records.size());
    const Record& want = records[i++];
    EXPECT_EQ(got.key, want.key);
    EXPECT_EQ(got.size, want.size);
    EXPECT_EQ(got.mtime_ns, want.mtime_ns);
    EXPECT_EQ(got.mode, want.mode);
    EXPECT_EQ(got.etag, want.etag);
    EXPECT_EQ(got.md5, want.md5);
    EXPECT_EQ(got.sha256, want.sha256);
    EXPECT_EQ(got.xxh3, want.xxh3);
    EXPECT_EQ(got.part_size, want.part_size);
  }
  EXPECT_EQ(i, records.size());
}

// JSON holds UTF-8 only: a key of other bytes is written as key_hex and
// read back exactly; a header value that is not UTF-8 never stops the run.
TEST(ManifestTest, AKeyThatIsNotUtf8RoundTrips) {
  TempDir dir;
  std::string path = dir.File("m.jsonl.zst");
  std::vector<Record> records(3);
  records[0].key = "latin1-\xe9t\xe9";
  records[1].key = "plain";
  records[2].key = "\xff\xfe";
  records[2].headers = R"({"metadata":{"x":"ok"}})";
  for (auto& r : records) r.size = 1;
  {
    auto w = Writer::Create(path, TestHeader());
    ASSERT_TRUE(w.ok());
    for (const auto& r : records) ASSERT_TRUE((*w)->Add(r).ok()) << r.key;
    ASSERT_TRUE((*w)->Finish().ok());
  }
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Record got;
  for (const auto& want : records) {
    auto more = (*r)->Next(&got);
    ASSERT_TRUE(more.ok() && *more) << more.status().ToString();
    EXPECT_EQ(got.key, want.key);
  }
}

TEST(ManifestTest, IsZstdCompressedJsonLines) {
  TempDir dir;
  std::string path = dir.File("m.jsonl.zst");
  Write(path, TestHeader(), TestRecords(3));
  std::string packed = ReadFile(path);
  unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
  std::string text;
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) size = 1 << 20;
  text.resize(size);
  size_t n = ZSTD_decompress(text.data(), text.size(), packed.data(), packed.size());
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  text.resize(n);
  std::istringstream in(text);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 5u);  // header, 3 records, trailer
  EXPECT_EQ(lines[0]["format"], "gwsync-manifest");
  EXPECT_EQ(lines[0]["version"], 1);
  EXPECT_EQ(lines[1]["key"], "dir/000000");
  EXPECT_EQ(lines[4]["end"], true);
  EXPECT_EQ(lines[4]["objects"], 3);
}

TEST(ManifestTest, CutShortIsDataLoss) {
  TempDir dir;
  std::string path = dir.File("m.jsonl.zst");
  Write(path, TestHeader(), TestRecords(2000));
  std::string whole = ReadFile(path);
  WriteFile(path, whole.substr(0, whole.size() / 2));
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Record rec;
  StatusOr<bool> more = true;
  while (more.ok() && *more) more = (*r)->Next(&rec);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kDataLoss) << more.status().ToString();
}

TEST(ManifestTest, NotAManifestIsRefused) {
  TempDir dir;
  WriteFile(dir.File("plain"), "hello\n");
  auto r = Reader::Open(dir.File("plain"));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Reader::Open(dir.File("absent")).status().code(), StatusCode::kNotFound);
}

// Reads the manifest `text` (compressed here) to its end: the first error.
Status ReadAll(const TempDir& dir, std::string_view text) {
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 3));
  WriteFile(dir.File("m"), packed);
  auto r = Reader::Open(dir.File("m"));
  if (!r.ok()) return r.status();
  Record rec;
  for (;;) {
    auto more = (*r)->Next(&rec);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
  }
}

constexpr std::string_view kHeaderLine = R"({"format":"gwsync-manifest","version":1})"
                                         "\n";

// Anyone may have written the file: a field of another type, or a number
// that does not fit, is DataLoss, not an exception that ends the process
// or a number read wrapped (found by tests/fuzz/manifest_fuzz.cc).
TEST(ManifestTest, AFieldOfTheWrongTypeIsDataLoss) {
  TempDir dir;
  ASSERT_TRUE(ReadAll(dir, std::string(kHeaderLine) + R"({"end":true,"objects":0,"bytes":0})"
                                                      "\n")
                  .ok());
  for (std::string_view header :
       {R"({"format":true})", R"({"format":"gwsync-manifest","version":"1"})",
        R"({"format":"gwsync-manifest","version":1,"source":7})",
        R"({"format":"gwsync-manifest","version":1,"sha256":"yes"})",
        R"({"format":"gwsync-manifest","version":1,"sync_errors":-1})"}) {
    Status s = ReadAll(dir, std::string(header) + "\n");
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << header << ": " << s.ToString();
  }
  for (std::string_view line :
       {R"({"key":"a","size":"3"})", R"({"key":"a","size":1e300})", R"({"key":"a","size":-1})",
        R"({"key":"a","size":1,"mode":4294967296})", R"({"key":"a","size":1,"etag":5})",
        R"({"key":"a","size":1,"unverified":1})", R"({"end":"yes"})",
        R"({"key":"a","size":1,"xxh3":7})", R"({"key":"a","size":1,"xxh3":"abc"})",
        R"({"key":"a","size":1,"xxh3":"0123456789ABCDEF0123456789abcdef"})",
        R"({"end":true,"objects":"0","bytes":0})"}) {
    Status s = ReadAll(dir, std::string(kHeaderLine) + std::string(line) + "\n" +
                                R"({"end":true,"objects":1,"bytes":1})"
                                "\n");
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << line << ": " << s.ToString();
  }
}

// "" is a key like any other: twice is out of order (tests/fuzz/manifest_fuzz.cc).
TEST(ManifestTest, AnEmptyKeyTwiceIsOutOfOrder) {
  TempDir dir;
  Status s = ReadAll(dir, std::string(kHeaderLine) + R"({"key":"","size":0})"
                                                     "\n"
                                                     R"({"key":"","size":0})"
                                                     "\n"
                                                     R"({"end":true,"objects":2,"bytes":0})"
                                                     "\n");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("out of order"), std::string::npos) << s.ToString();
}

// A zstd frame says how large a window it needs, and the reader allocates it
// as the frame starts: a few bytes claiming 128 MiB are refused instead.
TEST(ManifestTest, AFrameClaimingAHugeWindowIsRefused) {
  std::string text = std::string(kHeaderLine) + R"({"end":true,"objects":0,"bytes":0})"
                                                "\n";
  std::string frame = "\x28\xB5\x2F\xFD";      // magic
  frame += '\x00';                             // no content size, not single-segment
  frame += static_cast<char>((27 - 10) << 3);  // window: 2^27 bytes
  uint32_t block = static_cast<uint32_t>(text.size()) << 3 | 1;  // raw, last
  frame.append(reinterpret_cast<const char*>(&block), 3);
  frame += text;
  TempDir dir;
  WriteFile(dir.File("m"), frame);
  auto r = Reader::Open(dir.File("m"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

TEST(ManifestTest, WriterRefusesKeysOutOfOrder) {
  TempDir dir;
  auto w = Writer::Create(dir.File("m"), TestHeader());
  ASSERT_TRUE(w.ok());
  Record a, b;
  a.key = "b";
  b.key = "a";
  EXPECT_TRUE((*w)->Add(a).ok());
  EXPECT_EQ((*w)->Add(b).code(), StatusCode::kInvalidArgument);
}

TEST(ManifestTest, UnfinishedWriterLeavesNothing) {
  TempDir dir;
  {
    auto w = Writer::Create(dir.File("m"), TestHeader());
    ASSERT_TRUE(w.ok());
  }
  EXPECT_EQ(Reader::Open(dir.File("m")).status().code(), StatusCode::kNotFound);
}

TEST(ManifestTest, LatestNamesTheNewest) {
  TempDir dir;
  std::string reserved = dir.File(".gwsync");
  ASSERT_EQ(mkdir(reserved.c_str(), 0755), 0);
  Write(reserved + "/manifest-1.jsonl.zst", TestHeader(), TestRecords(1));
  ASSERT_TRUE(WriteLatest(reserved, "manifest-1.jsonl.zst").ok());
  auto from_dir = ResolveManifestPath(dir.path());
  ASSERT_TRUE(from_dir.ok()) << from_dir.status().ToString();
  EXPECT_EQ(*from_dir, reserved + "/manifest-1.jsonl.zst");
  auto from_latest = ResolveManifestPath(reserved + "/manifest-latest");
  ASSERT_TRUE(from_latest.ok());
  EXPECT_EQ(*from_latest, reserved + "/manifest-1.jsonl.zst");
  EXPECT_EQ(ResolveManifestPath(dir.File("x")).status().code(), StatusCode::kNotFound);
}

// A backup folder's manifest-latest names a file beside it, never a path
// elsewhere, and is not read through a link.
TEST(ManifestTest, LatestNamesNothingOutsideTheStateFolder) {
  TempDir dir;
  std::string reserved = dir.File(".gwsync");
  ASSERT_EQ(mkdir(reserved.c_str(), 0700), 0);
  ASSERT_TRUE(WriteLatest(reserved, "../../etc/passwd").ok());
  auto up = ResolveManifestPath(dir.path());
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().message(), "'" + reserved +
                                       "/manifest-latest' names '../../etc/passwd', "
                                       "not a manifest in " +
                                       reserved);
  ASSERT_EQ(unlink((reserved + "/manifest-latest").c_str()), 0);
  Write(dir.File("elsewhere"), TestHeader(), TestRecords(1));
  ASSERT_EQ(symlink(dir.File("elsewhere").c_str(), (reserved + "/manifest-latest").c_str()), 0);
  EXPECT_EQ(ResolveManifestPath(dir.path()).status().message(),
            "'" + reserved + "/manifest-latest' is a symbolic link, not followed");
}

}  // namespace
}  // namespace gwsync::manifest
