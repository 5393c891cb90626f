// FakeS3 answers the real s3::Client as S3 would, on the paths the sync
// uses: listings page in byte order with delimiters and tokens, Content-MD5
// and multipart ETags are S3's, ranges and If-Match behave, and faults and
// counts do what the pipeline tests rely on; at Stop, what is queued
// completes once, with kCancelled, as at a transport's shutdown.
#include "support/fake_s3.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "hash/hash.h"
#include "http/bodies.h"
#include "transfer/object_transfer.h"

namespace gwsync::testing {
namespace {

class FakeS3Test : public ::testing::Test {
 protected:
  FakeS3Test() : client_(&fake_, FakeS3::ClientOptions()) { fake_.CreateBucket("b"); }
  void TearDown() override { fake_.Stop(); }

  // Every name of a listing, page by page: "k:KEY" or "p:PREFIX", "|" between pages.
  std::string ListAll(s3::ListOptions o) {
    std::string out;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = s3::Wait<s3::ListPage>([&](auto done) { client_.ListObjects("b", o, done); });
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& obj : page->objects) out += "k:" + obj.key + " ";
      for (const auto& p : page->common_prefixes) out += "p:" + p + " ";
      if (!page->truncated) break;
      out += "| ";
      o.continuation = o.v1 ? page->next_marker : page->next_token;
    }
    return out;
  }
  StatusOr<std::string> Get(const std::string& key, s3::GetOptions o = {}) {
    auto sink = std::make_shared<http::StringSink>();
    auto head =
        s3::Wait<s3::ObjectHead>([&](auto done) { client_.GetObject("b", key, o, sink, done); });
    if (!head.ok()) return head.status();
    return sink->data();
  }

  FakeS3 fake_;
  s3::Client client_;
};

TEST_F(FakeS3Test, ListsInByteOrderWithDelimitersTokensAndStartAfter) {
  for (const char* k : {"a/b", "a-b", "a/c/d", "a0", "b", "\xc3\xa9", "x y+z"}) {
    fake_.PutObject("b", k, "v");
  }
  s3::ListOptions o;
  EXPECT_EQ(ListAll(o), "k:a-b k:a/b k:a/c/d k:a0 k:b k:x y+z k:\xc3\xa9 ");
  o.max_keys = 2;
  EXPECT_EQ(ListAll(o), "k:a-b k:a/b | k:a/c/d k:a0 | k:b k:x y+z | k:\xc3\xa9 ");
  o.delimiter = "/";
  EXPECT_EQ(ListAll(o), "k:a-b p:a/ | k:a0 k:b | k:x y+z k:\xc3\xa9 ");
  o.prefix = "a/";
  o.max_keys = 1000;
  EXPECT_EQ(ListAll(o), "k:a/b p:a/c/ ");
  o = {};
  o.start_after = "a0";
  EXPECT_EQ(ListAll(o), "k:b k:x y+z k:\xc3\xa9 ");
  o.v1 = true;
  o.delimiter = "/";
  o.max_keys = 1;
  o.start_after.clear();
  EXPECT_EQ(ListAll(o), "k:a-b | p:a/ | k:a0 | k:b | k:x y+z | k:\xc3\xa9 ");
}

TEST_F(FakeS3Test, PutChecksContentMd5AndGetHonoursRangeAndIfMatch) {
  s3::PutOptions put;
  put.content_md5 = hash::Base64(hash::Md5("other bytes"));
  auto bad = s3::Wait<std::string>([&](auto done) {
    client_.PutObject("b", "k", std::make_shared<http::StringSource>("bytes"), put, done);
  });
  EXPECT_EQ(bad.status().s3_code(), "BadDigest");
  put.content_md5 = hash::Base64(hash::Md5("0123456789"));
  put.metadata["mtime"] = "1600000000";
  auto etag = s3::Wait<std::string>([&](auto done) {
    client_.PutObject("b", "k", std::make_shared<http::StringSource>("0123456789"), put, done);
  });
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, hash::Hex(hash::Md5("0123456789")));
  EXPECT_EQ(fake_.GetObject("b", "k")->metadata.at("mtime"), "1600000000");

  s3::GetOptions range;
  range.range = s3::ByteRange{2, 4};
  EXPECT_EQ(*Get("k", range), "234");
  range.range = s3::ByteRange{7, s3::ByteRange::kToTheEnd};
  EXPECT_EQ(*Get("k", range), "789");
  range.range = s3::ByteRange{10, 12};
  EXPECT_EQ(Get("k", range).status().s3_code(), "InvalidRange");
  s3::GetOptions match;
  match.if_match = *etag;
  EXPECT_EQ(*Get("k", match), "0123456789");
  match.if_match = "0123";
  EXPECT_EQ(Get("k", match).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FakeS3Test, MultipartUploadsGetS3sEtagAndRefuseSmallParts) {
  std::string data(11 << 20, 'x');
  data[7 << 20] = 'y';
  std::vector<std::string> parts = {data.substr(0, 5 << 20), data.substr(5 << 20, 5 << 20),
                                    data.substr(10 << 20)};
  fake_.PutMultipartObject("b", "by-another-tool", parts);
  std::vector<hash::Md5Digest> md5s;
  for (const auto& p : parts) md5s.push_back(hash::Md5(p));
  EXPECT_EQ(fake_.GetObject("b", "by-another-tool")->etag, transfer::MultipartEtag(md5s));

  auto id = s3::Wait<std::string>(
      [&](auto done) { client_.CreateMultipartUpload("b", "small", {}, done); });
  ASSERT_TRUE(id.ok());
  std::vector<s3::PartInfo> sent;
  for (int n : {1, 2}) {
    auto e = s3::Wait<std::string>([&](auto done) {
      client_.UploadPart("b", "small", *id, n, std::make_shared<http::StringSource>("tiny"), "",
                         done);
    });
    ASSERT_TRUE(e.ok());
    sent.push_back({n, *e, 4});
  }
  EXPECT_EQ(fake_.UploadsInProgress("b"), 1u);
  auto done = s3::Wait<std::string>(
      [&](auto cb) { client_.CompleteMultipartUpload("b", "small", *id, sent, cb); });
  EXPECT_EQ(done.status().s3_code(), "EntityTooSmall");
  fake_.set_min_part_size(1);
  fake_.set_empty_complete_etag(true);  // RGW 16.2
  done = s3::Wait<std::string>(
      [&](auto cb) { client_.CompleteMultipartUpload("b", "small", *id, sent, cb); });
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(*done, "");
  EXPECT_EQ(fake_.GetObject("b", "small")->data, "tinytiny");
  EXPECT_TRUE(fake_.GetObject("b", "small")->etag.ends_with("-2"));
  EXPECT_EQ(fake_.UploadsInProgress("b"), 0u);
}

TEST_F(FakeS3Test, FaultsCorruptionSubresourcesAndCounts) {
  fake_.PutObject("b", "k", "0123456789");
  fake_.Fail(FakeS3::OpKey("GetObject", "k"), {403, "AccessDenied", Status::Ok(), 1});
  EXPECT_EQ(Get("k").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(*Get("k"), "0123456789");
  fake_.CorruptGets(FakeS3::Op("GetObject"), 1);
  EXPECT_EQ(*Get("k"), "0123446789");
  EXPECT_EQ(*Get("k"), "0123456789");
  // A 503 is retried by the client: the second attempt is served. (Last:
  // the client's pool then slows down to about a request a second.)
  fake_.Fail(FakeS3::Op("GetObject"), {});
  EXPECT_EQ(*Get("k"), "0123456789");
  EXPECT_EQ(fake_.CountOp("GetObject"), 6);
  EXPECT_EQ(fake_.CountMethod("GET"), 6);

  auto lifecycle = s3::Wait<std::string>(
      [&](auto done) { client_.GetBucketSubresource("b", "lifecycle", done); });
  EXPECT_EQ(lifecycle.status().code(), StatusCode::kNotFound);
  EXPECT_NE(lifecycle.status().s3_code(), "NoSuchBucket");
  EXPECT_EQ(s3::WaitStatus([&](auto done) { client_.HeadBucket("none", done); }).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(s3::WaitStatus([&](auto done) { client_.DeleteBucket("b", done); }).s3_code(),
            "BucketNotEmpty");
}

// http::Transport's promise: every posted callback runs exactly once. A
// retry's backoff or a pool's wake still waiting at Stop ends cancelled,
// not dropped (its request would never end); so does a request sent after.
TEST(FakeS3StopTest, PostedAndSentWorkEndsCancelledOnce) {
  FakeS3 fake;
  std::vector<StatusCode> posted;
  fake.Post(std::chrono::hours(1), [&](Status s) { posted.push_back(s.code()); });
  fake.Stop();
  EXPECT_EQ(posted, std::vector<StatusCode>{StatusCode::kCancelled});
  std::vector<StatusCode> sent;
  http::Request r;
  r.url = "http://fake-s3:8000/b/k";
  fake.Send(std::move(r), [&](http::Response resp) { sent.push_back(resp.transport.code()); });
  fake.Post(std::chrono::milliseconds(0), [&](Status s) { posted.push_back(s.code()); });
  fake.Stop();
  EXPECT_EQ(sent, std::vector<StatusCode>{StatusCode::kCancelled});
  EXPECT_EQ(posted, (std::vector<StatusCode>{StatusCode::kCancelled, StatusCode::kCancelled}));
}

}  // namespace
}  // namespace gwsync::testing
