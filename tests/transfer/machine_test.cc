// The transfer state machines driven over the scripted fake network: a
// multipart upload's parts spread over the gateways and retried, a part the
// gateway acknowledges with the wrong ETag, and a multipart download checked
// by content (exactly when the part size is recorded, as unchecked when no
// part size reproduces the ETag). Workers in kInline mode run the machines' CPU work on
// the test's thread, so a run is deterministic.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "hash/hash.h"
#include "s3/client.h"
#include "s3/url.h"
#include "support/fake_transport.h"
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync {
namespace {

using testing::Canned;
using testing::FakeTransport;
using testing::FixedRandom;

const std::string kA = "127.0.0.1:7001", kB = "127.0.0.1:7002", kC = "127.0.0.1:7003";
constexpr uint64_t kMiB = 1 << 20;

std::string Bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::string Md5Hex(std::string_view s) { return hash::Hex(hash::Md5(s)); }

std::string EtagOfParts(const std::string& data, uint64_t part) {
  std::vector<hash::Md5Digest> md5s;
  for (uint64_t off = 0; off < data.size(); off += part) {
    md5s.push_back(hash::Md5(std::string_view(data).substr(off, part)));
  }
  return transfer::MultipartEtag(md5s);
}

bool UrlHas(const http::Request& r, std::string_view s) {
  return r.url.find(s) != std::string::npos;
}

class MachineTest : public ::testing::Test {
 protected:
  MachineTest() {
    s3::ClientOptions o;
    o.endpoint = *s3::ParseEndpoint("http://" + kA);
    o.more_endpoints = {*s3::ParseEndpoint("http://" + kB), *s3::ParseEndpoint("http://" + kC)};
    o.credentials = {"access", "secret"};
    o.pool.clock = &net_;
    o.pool.random = &jitter_;
    client_ = std::make_unique<s3::Client>(&net_, o);
    char tmpl[] = "/tmp/gwsync-machine-XXXXXX";
    dir_ = mkdtemp(tmpl);
    options_.part_size = 5 * kMiB;
    options_.multipart_threshold = 5 * kMiB;
    options_.workers = &workers_;
  }
  ~MachineTest() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string WriteFile(const std::string& data) {
    std::string path = dir_ + "/src";
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }

  // Answers the GET of each range of `served` (part-sized ranges) as a 206.
  void ServeRanges(const std::string& served, const std::string& etag, http::Headers extra) {
    for (uint64_t off = 0; off < served.size(); off += options_.part_size) {
      uint64_t last = std::min<uint64_t>(off + options_.part_size, served.size()) - 1;
      std::string range = "bytes=" + std::to_string(off) + "-" + std::to_string(last);
      http::Headers h = extra;
      h.emplace_back("etag", "\"" + etag + "\"");
      h.emplace_back("content-length", std::to_string(last - off + 1));
      h.emplace_back("content-range", "bytes " + std::to_string(off) + "-" + std::to_string(last) +
                                          "/" + std::to_string(served.size()));
      net_.ScriptIf(
          [range](const http::Request& r) {
            return r.method == "GET" && http::FindHeader(r.headers, "Range") == range;
          },
          {}, Canned::Answer(206, served.substr(off, last - off + 1), h));
    }
  }

  // CreateMultipartUpload answers with `upload_id`.
  void ScriptCreate(const std::string& upload_id) {
    net_.ScriptIf([](const http::Request& r) { return r.method == "POST" && UrlHas(r, "uploads"); },
                  {},
                  Canned::Answer(200, "<InitiateMultipartUploadResult><UploadId>" + upload_id +
                                          "</UploadId></InitiateMultipartUploadResult>"));
  }

  StatusOr<transfer::UploadResult> Upload(const std::string& path) {
    std::optional<StatusOr<transfer::UploadResult>> result;
    transfer::StartUploadFile(
        *client_, transfer::FileToUpload{path, nullptr, std::nullopt, std::nullopt}, "b", "k",
        options_, [&](StatusOr<transfer::UploadResult> r) { result = r; });
    net_.RunUntilIdle();
    EXPECT_TRUE(result.has_value());
    return result.value_or(Internal("never finished"));
  }

  StatusOr<transfer::DownloadResult> Download(const std::string& etag, uint64_t size) {
    auto tmp = fileio::TempFile::Create(dir_ + "/dst");
    EXPECT_TRUE(tmp.ok());
    transfer::TransferOptions o = options_;
    o.expected_etag = etag;
    o.expected_size = size;
    std::optional<StatusOr<transfer::DownloadResult>> result;
    transfer::StartDownload(*client_, "b", "k", std::shared_ptr<fileio::TempFile>(std::move(*tmp)),
                            o, [&](StatusOr<transfer::DownloadResult> r) { result = r; });
    net_.RunUntilIdle();
    EXPECT_TRUE(result.has_value());
    return result.value_or(Internal("never finished"));
  }

  FakeTransport net_;
  FixedRandom jitter_;
  util::Workers workers_{util::Workers::Mode::kInline};
  std::unique_ptr<s3::Client> client_;
  std::string dir_;
  transfer::TransferOptions options_;
};

TEST_F(MachineTest, MultipartUploadSpreadsPartsOverGatewaysAndRetriesAThrottledOne) {
  const std::string data = Bytes(12 * kMiB + 1000, 1);
  const std::string path = WriteFile(data);
  ScriptCreate("u1");
  for (int n = 1; n <= 3; ++n) {
    std::string part = data.substr((n - 1) * 5 * kMiB, 5 * kMiB);
    std::vector<Canned> first;
    if (n == 2) first = {Canned::Answer(503, "<Error><Code>SlowDown</Code></Error>")};
    net_.ScriptIf(
        [n](const http::Request& r) {
          return r.method == "PUT" && UrlHas(r, "partNumber=" + std::to_string(n) + "&");
        },
        first, Canned::Answer(200, "", {{"etag", "\"" + Md5Hex(part) + "\""}}));
  }
  const std::string want = EtagOfParts(data, 5 * kMiB);
  net_.ScriptIf(
      [](const http::Request& r) { return r.method == "POST" && UrlHas(r, "uploadId=u1"); }, {},
      Canned::Answer(200, "<CompleteMultipartUploadResult><ETag>\"" + want +
                              "\"</ETag></CompleteMultipartUploadResult>"));

  auto result = Upload(path);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->etag, want);
  EXPECT_EQ(result->parts, 3);
  EXPECT_EQ(result->size, data.size());
  std::set<std::string> part_hosts;
  int part_puts = 0;
  for (const auto& s : net_.sent()) {
    if (s.method != "PUT") continue;
    ++part_puts;
    part_hosts.insert(s.host);
    // Every part carries its MD5, and the bytes of its range of the file.
    auto n = std::stoi(s.url.substr(s.url.find("partNumber=") + 11));
    std::string part = data.substr((n - 1) * 5 * kMiB, 5 * kMiB);
    EXPECT_EQ(s.body, part) << "part " << n;
    EXPECT_EQ(http::FindHeader(s.headers, "Content-MD5"), hash::Base64(hash::Md5(part)));
  }
  EXPECT_EQ(part_puts, 4);  // three parts, one sent again after its 503
  EXPECT_EQ(part_hosts.size(), 3u) << "the parts went out in parallel to every gateway";
}

TEST_F(MachineTest, PartAcknowledgedWithAnotherEtagFailsTheUploadAndAbortsIt) {
  const std::string data = Bytes(11 * kMiB, 2);
  const std::string path = WriteFile(data);
  ScriptCreate("u2");
  net_.ScriptIf([](const http::Request& r) { return r.method == "PUT"; }, {},
                Canned::Answer(200, "", {{"etag", "\"0123456789abcdef0123456789abcdef\""}}));

  auto result = Upload(path);
  EXPECT_EQ(result.status().code(), StatusCode::kDataLoss) << result.status().ToString();
  bool completed = false, aborted = false;
  for (const auto& s : net_.sent()) {
    if (s.method == "POST" && s.url.find("uploadId=u2") != std::string::npos) completed = true;
    if (s.method == "DELETE" && s.url.find("uploadId=u2") != std::string::npos) aborted = true;
  }
  EXPECT_FALSE(completed) << "an upload with a bad part is never completed";
  EXPECT_TRUE(aborted) << "its parts are given back";
}

TEST_F(MachineTest, MultipartDownloadWithARecordedPartSizeIsCheckedByContent) {
  const std::string data = Bytes(11 * kMiB, 3);
  const std::string etag = EtagOfParts(data, 5 * kMiB);
  std::string served = data;
  served[6 * kMiB] ^= 1;  // one bit flipped in the second part
  ServeRanges(served, etag, {{"x-amz-meta-gwsync-part-size", std::to_string(5 * kMiB)}});

  auto r = Download(etag, data.size());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_NE(r.status().message().find("recorded part size"), std::string::npos)
      << r.status().ToString();
}

TEST_F(MachineTest, MultipartDownloadMatchingItsEtagIsVerified) {
  const std::string data = Bytes(11 * kMiB, 4);
  const std::string etag = EtagOfParts(data, 5 * kMiB);
  ServeRanges(data, etag, {{"x-amz-meta-gwsync-part-size", std::to_string(5 * kMiB)}});

  auto r = Download(etag, data.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->verdict, transfer::Verdict::kVerified);
  std::string got(data.size(), '\0');
  ASSERT_EQ(pread(r->temp->fd(), got.data(), got.size(), 0), static_cast<ssize_t>(got.size()));
  EXPECT_TRUE(got == data);
  // Three ranges, in parallel over the gateways.
  std::set<std::string> hosts;
  for (const auto& s : net_.sent()) hosts.insert(s.host);
  EXPECT_EQ(hosts.size(), 3u);
}

TEST_F(MachineTest, MultipartDownloadOfAnUnknownPartSizeIsReportedUnchecked) {
  const std::string data = Bytes(11 * kMiB, 5);
  const std::string etag = EtagOfParts(data, 7 * kMiB);  // no tool's size, no record
  ServeRanges(data, etag, {});

  auto r = Download(etag, data.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->verdict, transfer::Verdict::kUnverifiable);
}

TEST_F(MachineTest, SingleGetWithWrongBytesFailsOnTheMd5) {
  const std::string data = Bytes(1000, 6);
  net_.ScriptIf([](const http::Request& r) { return r.method == "GET"; }, {},
                Canned::Answer(200, Bytes(1000, 7), {{"etag", "\"" + Md5Hex(data) + "\""}}));
  auto r = Download(Md5Hex(data), data.size());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

}  // namespace
}  // namespace gwsync

namespace gwsync {
namespace {

// Parts wait in line for room in the budget, in order, and a part larger
// than the whole budget waits for all of it instead of forever.
TEST(BufferBudgetTest, PartsWaitForRoomInOrder) {
  transfer::BufferBudget budget(10);
  std::vector<int> went;
  budget.Acquire(6, [&] { went.push_back(1); });
  budget.Acquire(6, [&] { went.push_back(2); });
  budget.Acquire(1, [&] { went.push_back(3); });  // fits, but waits its turn
  EXPECT_EQ(went, (std::vector<int>{1}));
  budget.Release(6);
  EXPECT_EQ(went, (std::vector<int>{1, 2, 3}));
  budget.Acquire(100, [&] { went.push_back(4); });  // more than there is: all of it
  EXPECT_EQ(went.size(), 3u);
  budget.Release(6);
  budget.Release(1);
  EXPECT_EQ(went, (std::vector<int>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace gwsync
