// The multipart machine at its boundaries: 1, 9,999, 10,000 and 10,001
// parts (S3 allows 10,000: the machine must end, the last with a clear
// error before any part past the limit is sent); completions that come
// synchronously (no recursion through them); a resumed upload with 9,999
// parts already sent, produced synchronously from the checkpoint; a 413
// re-planned within the 10,000 parts; and a stream whose parts grow.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "hash/hash.h"
#include "http/bodies.h"
#include "s3/client.h"
#include "s3/url.h"
#include "support/fake_transport.h"
#include "transfer/machine.h"
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync {
namespace {

using testing::Canned;
using testing::FakeTransport;
using testing::FixedRandom;
using transfer::internal::Part;
using transfer::internal::PartProducer;

constexpr uint64_t kMiB = 1 << 20;
const std::string kHost = "127.0.0.1:7001";

bool UrlHas(const http::Request& r, std::string_view s) {
  return r.url.find(s) != std::string::npos;
}
int PartNumber(const std::string& url) {
  size_t at = url.find("partNumber=");
  return at == std::string::npos ? 0 : std::stoi(url.substr(at + 11));
}
std::string Md5Hex(std::string_view s) { return hash::Hex(hash::Md5(s)); }

// `n` parts of one byte 'x', or more.
class TinyParts final : public PartProducer {
 public:
  TinyParts(int n, bool concurrent) : n_(n), concurrent_(concurrent) {}
  bool concurrent() const override { return concurrent_; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    ++asked_;
    if (number > n_) return done(Part{});
    Part p;
    p.body = std::make_shared<http::StringSource>("x");
    p.md5 = hash::Md5("x");
    p.size = 1;
    done(p);
  }
  int asked() const { return asked_; }

 private:
  int n_;
  bool concurrent_;
  int asked_ = 0;
};

// The ETag of `n` parts of "x".
std::string EtagOfTinyParts(int n) {
  return transfer::MultipartEtag(std::vector<hash::Md5Digest>(n, hash::Md5("x")));
}

class MultipartTest : public ::testing::Test {
 protected:
  MultipartTest() {
    s3::ClientOptions o;
    o.endpoint = *s3::ParseEndpoint("http://" + kHost);
    o.credentials = {"access", "secret"};
    o.pool.clock = &net_;
    o.pool.random = &jitter_;
    client_ = std::make_unique<s3::Client>(&net_, o);
    options_.workers = &workers_;
    options_.part_size = 5 * kMiB;
    options_.multipart_threshold = 5 * kMiB;
    options_.parallel = 8;
    net_.ScriptIf([](const http::Request& r) { return r.method == "POST" && UrlHas(r, "uploads"); },
                  {},
                  Canned::Answer(200,
                                 "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                                 "</InitiateMultipartUploadResult>"));
  }

  // Every part PUT answered with the MD5 of the bytes it carried.
  void AnswerParts() {
    net_.ScriptIf([](const http::Request& r) { return r.method == "PUT"; }, {},
                  Canned::Answer(200, "", {{"etag", "\"" + Md5Hex("x") + "\""}}));
  }
  void AnswerComplete(const std::string& etag) {
    net_.ScriptIf(
        [](const http::Request& r) { return r.method == "POST" && UrlHas(r, "uploadId=u1"); }, {},
        Canned::Answer(200, "<CompleteMultipartUploadResult><ETag>\"" + etag +
                                "\"</ETag></CompleteMultipartUploadResult>"));
  }
  int Sent(const std::string& method, std::string_view in_url = "") const {
    int n = 0;
    for (const auto& s : net_.sent()) {
      if (s.method == method && s.url.find(in_url) != std::string::npos) ++n;
    }
    return n;
  }

  // Runs the machine over `producer` and returns its one result.
  StatusOr<transfer::UploadResult> Run(std::unique_ptr<PartProducer> producer) {
    int calls = 0;
    std::optional<StatusOr<transfer::UploadResult>> result;
    transfer::internal::RunMultipart(*client_, "b", "k", options_, std::move(producer), "",
                                     std::nullopt, {}, [&](StatusOr<transfer::UploadResult> r) {
                                       ++calls;
                                       result = r;
                                     });
    net_.RunUntilIdle(1000000);
    EXPECT_EQ(calls, 1) << "the completion runs exactly once";
    return result.value_or(Internal("never finished"));
  }

  FakeTransport net_;
  FixedRandom jitter_;
  util::Workers workers_{util::Workers::Mode::kInline};
  std::unique_ptr<s3::Client> client_;
  transfer::TransferOptions options_;
};

class MultipartBoundaryTest : public MultipartTest,
                              public ::testing::WithParamInterface<std::tuple<int, bool>> {};

TEST_P(MultipartBoundaryTest, UploadOfUpToTenThousandPartsCompletes) {
  const auto [n, concurrent] = GetParam();
  AnswerParts();
  AnswerComplete(EtagOfTinyParts(n));
  auto r = Run(std::make_unique<TinyParts>(n, concurrent));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->parts, n);
  EXPECT_EQ(r->etag, EtagOfTinyParts(n));
  EXPECT_EQ(Sent("PUT"), n);
  EXPECT_EQ(Sent("POST", "uploadId=u1"), 1) << "completed once";
}

INSTANTIATE_TEST_SUITE_P(Parts, MultipartBoundaryTest,
                         ::testing::Combine(::testing::Values(1, 9999, 10000), ::testing::Bool()));

class MultipartPastTheLimitTest : public MultipartTest,
                                  public ::testing::WithParamInterface<bool> {};

TEST_P(MultipartPastTheLimitTest, TenThousandAndOnePartsFailBeforeThePartPastTheLimitIsSent) {
  AnswerParts();
  AnswerComplete(EtagOfTinyParts(10001));
  auto r = Run(std::make_unique<TinyParts>(10001, GetParam()));
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("more than 10000 parts"), std::string::npos)
      << r.status().ToString();
  int highest = 0;
  for (const auto& s : net_.sent()) {
    if (s.method == "PUT") highest = std::max(highest, PartNumber(s.url));
  }
  EXPECT_LE(highest, 10000) << "no part past S3's limit was sent";
  EXPECT_EQ(Sent("POST", "uploadId=u1"), 0) << "never completed";
  EXPECT_EQ(Sent("DELETE", "uploadId=u1"), 1) << "aborted: the parts' space given back";
}

INSTANTIATE_TEST_SUITE_P(Producers, MultipartPastTheLimitTest, ::testing::Bool());

// A transport that answers every request inside Send, as a gateway that
// has the answer at once would through a loop that does not defer: a
// machine must not recurse through such completions.
class AtOnceTransport final : public http::Transport {
 public:
  void Send(http::Request request, http::Callback done) override {
    http::Response r;
    r.status = 200;
    if (request.method == "POST" && UrlHas(request, "uploads")) {
      r.body =
          "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
          "</InitiateMultipartUploadResult>";
    } else if (request.method == "PUT") {
      r.headers.emplace_back("etag", "\"" + Md5Hex("x") + "\"");
    } else if (request.method == "POST") {
      r.body = "<CompleteMultipartUploadResult><ETag>\"" + complete_etag +
               "\"</ETag></CompleteMultipartUploadResult>";
    }
    ++sent;
    done(std::move(r));
  }
  void Post(std::chrono::milliseconds, http::TimerCallback fn) override { fn(Status::Ok()); }
  std::string complete_etag;
  int sent = 0;
};

TEST(MultipartAtOnceTest, CompletionsThatComeSynchronouslyDoNotRecurse) {
  AtOnceTransport net;
  net.complete_etag = EtagOfTinyParts(10000);
  s3::ClientOptions o;
  o.endpoint = *s3::ParseEndpoint("http://" + kHost);
  o.credentials = {"access", "secret"};
  s3::Client client(&net, o);
  util::Workers workers(util::Workers::Mode::kInline);
  transfer::TransferOptions options;
  options.workers = &workers;
  options.parallel = 1;  // one part at a time: each completion starts the next
  int calls = 0;
  std::optional<StatusOr<transfer::UploadResult>> result;
  transfer::internal::RunMultipart(client, "b", "k", options,
                                   std::make_unique<TinyParts>(10000, false), "", std::nullopt, {},
                                   [&](StatusOr<transfer::UploadResult> r) {
                                     ++calls;
                                     result = r;
                                   });
  ASSERT_EQ(calls, 1);
  ASSERT_TRUE(result->ok()) << result->status().ToString();
  EXPECT_EQ((*result)->parts, 10000);
  EXPECT_EQ(net.sent, 10002);  // create, 10,000 parts, complete
}

// A sparse file of `size` bytes (nothing is written but its last byte).
std::string SparseFile(const std::string& dir, uint64_t size) {
  std::string path = dir + "/sparse";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size - 1)), 0);
  EXPECT_EQ(pwrite(fd, "z", 1, static_cast<off_t>(size - 1)), 1);
  close(fd);
  return path;
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/gwsync-multipart-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

// A run killed after 9,999 of 10,000 parts: the checkpoint lists them, the
// gateway confirms them (ListParts, ten pages), and the rerun produces them
// all at once from the checkpoint (on the caller's stack: Workers in kInline mode) and
// sends only the last. Without the trampoline this recursed 9,999 deep.
TEST_F(MultipartTest, ResumeWithNineThousandNineHundredNinetyNinePartsSentSendsOnlyTheLast) {
  TempDir dir;
  const uint64_t size = 9999 * 5 * kMiB + 1;  // 10,000 parts of 5 MiB, the last 1 byte
  const std::string path = SparseFile(dir.path, size);
  const std::string zero_part = hash::Hex(hash::Md5(std::string(5 * kMiB, '\0')));
  transfer::UploadCheckpoint cp;
  cp.upload_id = "u1";
  cp.part_size = 5 * kMiB;
  cp.file_size = size;
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  cp.file_mtime_ns = fileio::MtimeNs(st);
  cp.file_dev = st.st_dev;
  cp.file_inode = st.st_ino;
  cp.file_ctime_ns = fileio::CtimeNs(st);
  for (int n = 1; n <= 9999; ++n) cp.part_md5s[n] = zero_part;
  // ListParts: 1,000 parts a page.
  for (int page = 0; page < 10; ++page) {
    int first = page * 1000 + 1, last = std::min(9999, first + 999);
    std::string body = "<ListPartsResult>";
    for (int n = first; n <= last; ++n) {
      body += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>\"" + zero_part +
              "\"</ETag><Size>5242880</Size></Part>";
    }
    body += std::string("<IsTruncated>") + (last < 9999 ? "true" : "false") +
            "</IsTruncated><NextPartNumberMarker>" + std::to_string(last) +
            "</NextPartNumberMarker></ListPartsResult>";
    std::string marker = page == 0 ? "" : "part-number-marker=" + std::to_string(first - 1);
    net_.ScriptIf(
        [marker, page](const http::Request& r) {
          return r.method == "GET" && UrlHas(r, "uploadId=u1") &&
                 (page == 0 ? !UrlHas(r, "part-number-marker")
                            : UrlHas(r, marker + "&") || r.url.ends_with(marker));
        },
        {}, Canned::Answer(200, body));
  }
  net_.ScriptIf([](const http::Request& r) { return r.method == "PUT"; }, {},
                Canned::Answer(200, "", {{"etag", "\"" + Md5Hex("z") + "\""}}));
  std::vector<hash::Md5Digest> md5s(9999, hash::Md5(std::string(5 * kMiB, '\0')));
  md5s.push_back(hash::Md5("z"));
  const std::string want = transfer::MultipartEtag(md5s);
  AnswerComplete(want);

  auto store = std::make_shared<transfer::CheckpointStore>();
  int saves = 0;
  store->load = [cp] { return std::optional<transfer::UploadCheckpoint>(cp); };
  store->save = [&saves](const transfer::UploadCheckpoint&) { ++saves; };
  store->clear = [] {};
  options_.checkpoint = store;
  int calls = 0;
  std::optional<StatusOr<transfer::UploadResult>> result;
  transfer::StartUploadFile(*client_,
                            transfer::FileToUpload{path, nullptr, std::nullopt, std::nullopt}, "b",
                            "k", options_, [&](StatusOr<transfer::UploadResult> r) {
                              ++calls;
                              result = r;
                            });
  net_.RunUntilIdle(1000000);
  ASSERT_EQ(calls, 1);
  ASSERT_TRUE(result->ok()) << result->status().ToString();
  EXPECT_EQ((*result)->parts, 10000);
  EXPECT_EQ((*result)->parts_resumed, 9999);
  EXPECT_EQ((*result)->etag, want);
  EXPECT_EQ(Sent("PUT"), 1) << "only the part the killed run had not sent";
  EXPECT_EQ(Sent("GET", "uploadId=u1"), 10) << "the sent parts confirmed, a page at a time";
}

// A proxy refusing 8 MiB bodies: a file whose 10,000-part minimum is 6 MiB
// is re-planned at 6 MiB (not 4, which would need more than 10,000 parts),
// and at the next refusal it ends with a clear error, not a hang.
TEST_F(MultipartTest, TooLargeIsReplannedWithinTenThousandPartsThenGivenUp) {
  TempDir dir;
  const uint64_t size = 10000 * 6 * kMiB - 100;  // at least 6 MiB parts
  const std::string path = SparseFile(dir.path, size);
  options_.part_size = 16 * kMiB;
  options_.multipart_threshold = 16 * kMiB;
  options_.parallel = 2;
  net_.ScriptIf([](const http::Request& r) { return r.method == "PUT"; }, {},
                Canned::Answer(413, "<html>413 Request Entity Too Large</html>"));
  int calls = 0;
  std::optional<StatusOr<transfer::UploadResult>> result;
  transfer::StartUploadFile(*client_,
                            transfer::FileToUpload{path, nullptr, std::nullopt, std::nullopt}, "b",
                            "k", options_, [&](StatusOr<transfer::UploadResult> r) {
                              ++calls;
                              result = r;
                            });
  net_.RunUntilIdle(1000000);
  ASSERT_EQ(calls, 1);
  EXPECT_EQ(result->status().code(), StatusCode::kResourceExhausted) << result->status().ToString();
  EXPECT_NE(result->status().message().find("10000 parts"), std::string::npos)
      << result->status().ToString();
  std::map<uint64_t, int> sizes;  // part sizes tried
  for (const auto& s : net_.sent()) {
    if (s.method == "PUT" && PartNumber(s.url) == 1) ++sizes[s.body.size()];
  }
  EXPECT_EQ(sizes.count(16 * kMiB), 1u);
  EXPECT_EQ(sizes.count(8 * kMiB), 1u);
  EXPECT_EQ(sizes.count(6 * kMiB), 1u) << "re-planned within 10,000 parts";
  EXPECT_EQ(sizes.size(), 3u) << "and no smaller";
}

// A stream's parts grow as it goes (here from 1,000 bytes, doubling every 3
// parts): the parts sent have those lengths, and the object's ETag is the
// one a check with that layout recomputes.
TEST_F(MultipartTest, StreamPartsGrowAndTheirEtagIsTheLayoutsOne) {
  std::string data(20000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  const transfer::PartLayout layout{1000, 3};
  size_t offset = 1000;  // the first part is read before the upload
  auto read = [&](std::span<char> buf) -> StatusOr<size_t> {
    size_t n = std::min(buf.size(), data.size() - offset);
    std::copy_n(data.data() + offset, n, buf.data());
    offset += n;
    return n;
  };
  transfer::MultipartHasher want(layout);
  want.Update(data);
  const std::string etag = want.Finish();
  // Each part answered with the MD5 of what it carried.
  Canned part = Canned::Answer(200);
  part.etag_of_body = true;
  net_.ScriptIf([](const http::Request& r) { return r.method == "PUT"; }, {}, part);
  AnswerComplete(etag);
  int calls = 0;
  std::optional<StatusOr<transfer::UploadResult>> result;
  transfer::internal::StartUploadStream(*client_, read, data.substr(0, 1000), false, "b", "k",
                                        options_, layout, [&](StatusOr<transfer::UploadResult> r) {
                                          ++calls;
                                          result = r;
                                        });
  net_.RunUntilIdle();
  ASSERT_EQ(calls, 1);
  ASSERT_TRUE(result->ok()) << result->status().ToString();
  EXPECT_EQ((*result)->etag, etag);
  std::map<int, size_t> lengths;
  for (const auto& s : net_.sent()) {
    if (s.method == "PUT") lengths[PartNumber(s.url)] = s.body.size();
  }
  std::map<int, size_t> expected = {{1, 1000}, {2, 1000}, {3, 1000}, {4, 2000}, {5, 2000},
                                    {6, 2000}, {7, 4000}, {8, 4000}, {9, 3000}};
  EXPECT_EQ(lengths, expected);
  // The layout reads back from the metadata it is recorded in, and checks the bytes.
  std::map<std::string, std::string> meta;
  transfer::internal::RecordLayout({5 * kMiB, 900}, &meta);
  s3::ObjectHead head;
  head.metadata = meta;
  auto recorded = transfer::RecordedLayout(head);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(*recorded, (transfer::PartLayout{5 * kMiB, 900}));
  transfer::ContentCheck check(etag, data.size(), layout, 0);
  check.Update(data);
  EXPECT_EQ(check.Finish().verdict, transfer::Verdict::kVerified);
}

// A stream's layout holds S3's largest object (5 TiB) in 10,000 parts, from
// the smallest part size on; its parts lie end to end.
TEST(PartLayoutTest, AStreamOfFiveTebibytesFitsInTenThousandParts) {
  const uint64_t five_tib = 5ull << 40;
  for (uint64_t base : {5 * kMiB, 8 * kMiB, 16 * kMiB, 100 * kMiB}) {
    transfer::PartLayout layout{base, transfer::internal::kStreamDoubling};
    EXPECT_LE(layout.Count(five_tib), 10000u) << base;
    EXPECT_LE(layout.PartSize(10000), transfer::PartLayout::kMaxPart);
    for (uint64_t n : {1u, 899u, 900u, 901u, 1800u, 1801u, 9999u}) {
      EXPECT_EQ(layout.Offset(n + 1), layout.Offset(n) + layout.PartSize(n)) << base << " " << n;
    }
  }
  transfer::PartLayout fixed{5 * kMiB, 0};
  EXPECT_EQ(fixed.Count(10000 * 5 * kMiB), 10000u);
  EXPECT_EQ(fixed.Count(10000 * 5 * kMiB + 1), 10001u);
  EXPECT_EQ(fixed.Count(0), 1u);
  EXPECT_EQ(fixed.Offset(3), 10 * kMiB);
}

}  // namespace
}  // namespace gwsync
