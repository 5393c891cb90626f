// The S3 client against the real RGW: every operation, both signature
// versions, keys that are hard to encode, paging, and the errors a user meets.
#include <algorithm>
#include <chrono>
#include <latch>

#include "hash/hash.h"
#include "http/bodies.h"
#include "support/gateway.h"
#include "transfer/bulk.h"

namespace gwsync::s3 {
namespace {

using gwsync::testing::GatewayTest;
using gwsync::testing::RandomBytes;
using gwsync::testing::TestGateway;

Status Put(const Client& c, const std::string& bucket, const std::string& key,
           const std::string& data) {
  PutOptions o;
  o.content_md5 = hash::Base64(hash::Md5(data));
  auto etag = Wait<std::string>([&](auto done) {
    c.PutObject(bucket, key, std::make_shared<http::StringSource>(data), o, done);
  });
  return etag.status();
}

StatusOr<std::string> Get(const Client& c, const std::string& bucket, const std::string& key,
                          GetOptions options = {}) {
  auto sink = std::make_shared<http::StringSink>();
  auto head = Wait<ObjectHead>([&](auto done) { c.GetObject(bucket, key, options, sink, done); });
  if (!head.ok()) return head.status();
  return sink->data();
}

// Puts `keys` with up to 32 requests in flight.
void PutMany(const Client& c, const std::string& bucket, const std::vector<std::string>& keys) {
  std::atomic<int> failures{0};
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  for (const auto& key : keys) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < 32; });
      ++in_flight;
    }
    c.PutObject(bucket, key, std::make_shared<http::StringSource>("x"), {},
                [&](StatusOr<std::string> r) {
                  if (!r.ok()) ++failures;
                  std::lock_guard lock(mu);
                  --in_flight;
                  cv.notify_all();
                });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
  ASSERT_EQ(failures.load(), 0);
}

std::vector<std::string> ListAll(const Client& c, const std::string& bucket, bool v1, int* pages) {
  std::vector<std::string> keys;
  ListOptions o;
  o.v1 = v1;
  *pages = 0;
  for (;;) {
    auto page = Wait<ListPage>([&](auto done) { c.ListObjects(bucket, o, done); });
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    ++*pages;
    for (const auto& obj : page->objects) keys.push_back(obj.key);
    if (!page->truncated) break;
    o.continuation = v1 ? page->next_marker : page->next_token;
  }
  return keys;
}

TEST_F(GatewayTest, ListBucketsShowsTheNewBucket) {
  auto buckets = Wait<std::vector<BucketInfo>>([&](auto done) { client().ListBuckets(done); });
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  EXPECT_TRUE(std::any_of(buckets->begin(), buckets->end(),
                          [&](const BucketInfo& b) { return b.name == bucket_; }));
}

TEST_F(GatewayTest, HeadBucketAndCreateDeleteBucket) {
  EXPECT_TRUE(WaitStatus([&](auto done) { client().HeadBucket(bucket_, done); }).ok());
  Status missing = WaitStatus([&](auto done) { client().HeadBucket(bucket_ + "-nope", done); });
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_EQ(missing.http_status(), 404);

  std::string b = testing::UniqueBucketName("createdelete");
  ASSERT_TRUE(WaitStatus([&](auto done) { client().CreateBucket(b, done); }).ok());
  ASSERT_TRUE(Put(client(), b, "k", "v").ok());
  Status not_empty = WaitStatus([&](auto done) { client().DeleteBucket(b, done); });
  EXPECT_EQ(not_empty.s3_code(), "BucketNotEmpty") << not_empty.ToString();
  ASSERT_TRUE(WaitStatus([&](auto done) { client().DeleteObject(b, "k", done); }).ok());
  EXPECT_TRUE(WaitStatus([&](auto done) { client().DeleteBucket(b, done); }).ok());
  EXPECT_EQ(WaitStatus([&](auto done) { client().HeadBucket(b, done); }).code(),
            StatusCode::kNotFound);
}

class SignatureTest : public GatewayTest, public ::testing::WithParamInterface<SignatureVersion> {};

// Keys that break naive encoders, uploaded, listed and read back exactly.
TEST_P(SignatureTest, TrickyKeysRoundTrip) {
  auto c = MakeClient(TestGateway::Get().Options(0, GetParam()));
  std::vector<std::string> keys = {
      "a b",
      "plus+sign",
      "percent%20literal",
      "question?mark",
      "hash#tag",
      "tilde~",
      "double//slash",
      "amp&lt<gt>'quote\"",
      "equals=comma,semi;",
      "star*(paren)!",
      "dollar$@at",
      "uni/\xc3\xbc\xc3\xb1\xc3\xaf/\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
      "emoji-\xf0\x9f\x98\x80",
      "a-b",
      "a/b",
      "trailing-space ",
      " leading-space",
      std::string(900, 'k') + "/end",
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string data = "data-" + std::to_string(i);
    ASSERT_TRUE(Put(*c, bucket_, keys[i], data).ok()) << keys[i];
    auto got = Get(*c, bucket_, keys[i]);
    ASSERT_TRUE(got.ok()) << keys[i] << ": " << got.status().ToString();
    EXPECT_EQ(*got, data) << keys[i];
    auto head = Wait<ObjectHead>([&](auto done) { c->HeadObject(bucket_, keys[i], done); });
    ASSERT_TRUE(head.ok()) << keys[i];
    EXPECT_EQ(head->size, data.size());
  }
  int pages = 0;
  std::vector<std::string> listed = ListAll(*c, bucket_, false, &pages);
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());  // byte order, as S3 sorts
  EXPECT_EQ(listed, want);
}

TEST_P(SignatureTest, ListsMetadataAndRanges) {
  auto c = MakeClient(TestGateway::Get().Options(0, GetParam()));
  std::string data = RandomBytes(1000, 7);
  PutOptions o;
  o.content_md5 = hash::Base64(hash::Md5(data));
  o.content_type = "application/x-test";
  o.metadata = {{"mtime", "1700000000.5"}, {"mode", "33188"}};
  auto etag = Wait<std::string>([&](auto done) {
    c->PutObject(bucket_, "dir/meta", std::make_shared<http::StringSource>(data), o, done);
  });
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, hash::Hex(hash::Md5(data)));

  auto head = Wait<ObjectHead>([&](auto done) { c->HeadObject(bucket_, "dir/meta", done); });
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->content_type, "application/x-test");
  EXPECT_EQ(head->metadata["mtime"], "1700000000.5");
  EXPECT_EQ(head->metadata["mode"], "33188");

  GetOptions range;
  range.range = ByteRange{10, 19};
  range.if_match = *etag;
  auto part = Get(*c, bucket_, "dir/meta", range);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(*part, data.substr(10, 10));

  range.if_match = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(Get(*c, bucket_, "dir/meta", range).status().http_status(), 412);

  ListOptions lo;
  lo.delimiter = "/";
  auto page = Wait<ListPage>([&](auto done) { c->ListObjects(bucket_, lo, done); });
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"dir/"});
}

TEST_P(SignatureTest, MultipartOperations) {
  auto c = MakeClient(TestGateway::Get().Options(0, GetParam()));
  const std::string key = "multi part/obj";
  auto id = Wait<std::string>([&](auto done) { c->CreateMultipartUpload(bucket_, key, {}, done); });
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  std::vector<std::string> datas = {RandomBytes(5 << 20, 1), RandomBytes(1, 2)};
  std::vector<PartInfo> parts;
  for (int i = 0; i < 2; ++i) {
    auto md5 = hash::Md5(datas[i]);
    auto etag = Wait<std::string>([&](auto done) {
      c->UploadPart(bucket_, key, *id, i + 1, std::make_shared<http::StringSource>(datas[i]),
                    hash::Base64(md5), done);
    });
    ASSERT_TRUE(etag.ok()) << etag.status().ToString();
    EXPECT_EQ(*etag, hash::Hex(md5));
    parts.push_back({i + 1, *etag, datas[i].size()});
  }
  auto listed = Wait<PartsPage>([&](auto done) { c->ListParts(bucket_, key, *id, 0, done); });
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->parts.size(), 2u);
  EXPECT_EQ(listed->parts[0].size, 5u << 20);
  auto uploads =
      Wait<UploadsPage>([&](auto done) { c->ListMultipartUploads(bucket_, "", "", done); });
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].key, key);
  EXPECT_EQ(uploads->uploads[0].upload_id, *id);

  auto done_etag = Wait<std::string>(
      [&](auto done) { c->CompleteMultipartUpload(bucket_, key, *id, parts, done); });
  ASSERT_TRUE(done_etag.ok()) << done_etag.status().ToString();
  auto head = Wait<ObjectHead>([&](auto done) { c->HeadObject(bucket_, key, done); });
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->etag.ends_with("-2")) << head->etag;
  auto got = Get(*c, bucket_, key);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == datas[0] + datas[1]);

  // An aborted upload disappears and leaves no object.
  auto id2 =
      Wait<std::string>([&](auto done) { c->CreateMultipartUpload(bucket_, "aborted", {}, done); });
  ASSERT_TRUE(id2.ok());
  ASSERT_TRUE(
      WaitStatus([&](auto done) { c->AbortMultipartUpload(bucket_, "aborted", *id2, done); }).ok());
  uploads = Wait<UploadsPage>([&](auto done) { c->ListMultipartUploads(bucket_, "", "", done); });
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->uploads.empty());
  EXPECT_EQ(Get(*c, bucket_, "aborted").status().code(), StatusCode::kNotFound);
}

TEST_P(SignatureTest, CopyAndBatchDelete) {
  auto c = MakeClient(TestGateway::Get().Options(0, GetParam()));
  ASSERT_TRUE(Put(*c, bucket_, "src key", "copied bytes").ok());
  std::string other = NewBucket("copydst");
  auto etag = Wait<std::string>(
      [&](auto done) { c->CopyObject(bucket_, "src key", other, "dst/key+1", done); });
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*Get(*c, other, "dst/key+1"), "copied bytes");

  std::vector<std::string> keys = {"src key", "x y", "z+z"};
  ASSERT_TRUE(Put(*c, bucket_, "x y", "1").ok());
  ASSERT_TRUE(Put(*c, bucket_, "z+z", "2").ok());
  auto failed =
      Wait<std::vector<DeleteError>>([&](auto done) { c->DeleteObjects(bucket_, keys, done); });
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_TRUE(failed->empty());
  int pages = 0;
  EXPECT_TRUE(ListAll(*c, bucket_, false, &pages).empty());
}

INSTANTIATE_TEST_SUITE_P(Signatures, SignatureTest,
                         ::testing::Values(SignatureVersion::kV4, SignatureVersion::kV2),
                         [](const auto& info) {
                           return info.param == SignatureVersion::kV4 ? "V4" : "V2";
                         });

// 2,500 keys come back in order over three pages, with V2 and V1 listings,
// and DeletePrefix removes them in batches of 1,000.
TEST_F(GatewayTest, ListsAcrossPagesAndDeletesInBatches) {
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "k/%05d", i);
    keys.push_back(buf);
  }
  PutMany(client(), bucket_, keys);
  for (bool v1 : {false, true}) {
    int pages = 0;
    EXPECT_EQ(ListAll(client(), bucket_, v1, &pages), keys) << (v1 ? "V1" : "V2");
    EXPECT_EQ(pages, 3);
  }
  std::atomic<int> seen{0};
  auto stats =
      transfer::DeletePrefix(client(), bucket_, "k/", false, [&](const std::string&) { ++seen; });
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->deleted, 2500u);
  EXPECT_EQ(seen.load(), 2500);
  int pages = 0;
  EXPECT_TRUE(ListAll(client(), bucket_, false, &pages).empty());
}

TEST_F(GatewayTest, WrongCredentialsArePermissionDenied) {
  auto options = TestGateway::Get().Options();
  options.credentials.secret_key = "not-the-secret";
  auto bad = MakeClient(options);
  Status s = Put(*bad, bucket_, "k", "v");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_EQ(s.s3_code(), "SignatureDoesNotMatch");
  EXPECT_EQ(s.message().find("not-the-secret"), std::string::npos);

  options.credentials.access_key = "NOSUCHACCESSKEY00000";
  auto unknown = MakeClient(options);
  s = Put(*unknown, bucket_, "k", "v");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_EQ(s.s3_code(), "InvalidAccessKeyId");
}

TEST_F(GatewayTest, MissingKeyAndBucketAreNotFound) {
  Status s = Get(client(), bucket_, "no/such/key").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.s3_code(), "NoSuchKey");
  EXPECT_NE(s.message().find("no/such/key"), std::string::npos) << s.message();
  s = Get(client(), bucket_ + "-missing", "k").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.s3_code(), "NoSuchBucket");
  auto head = Wait<ObjectHead>([&](auto done) { client().HeadObject(bucket_, "nope", done); });
  EXPECT_EQ(head.status().code(), StatusCode::kNotFound);
}

TEST_F(GatewayTest, RefusedConnectionFailsFast) {
  auto options = TestGateway::Get().Options();
  options.endpoint.port = 1;  // nothing listens there
  auto c = MakeClient(options);
  auto start = std::chrono::steady_clock::now();
  Status s = WaitStatus([&](auto done) { c->HeadBucket(bucket_, done); });
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace gwsync::s3
