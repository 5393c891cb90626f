// Bench lists a bucket as every other command does (`--sizes-from`, and
// its clean-up of the run prefix): within the bucket's list budget
// (--list-limit), so a gateway that would list without end cannot hold it;
// the clean-up's list requests are counted as the run's.
#include <gtest/gtest.h>

#include <functional>

#include "loadgen/runner.h"
#include "s3/url.h"
#include "support/fake_listing.h"
#include "support/fake_s3.h"

namespace gwsync::loadgen {
namespace {

using gwsync::testing::FakeListing;

s3::ClientOptions Options(uint64_t list_limit) {
  s3::ClientOptions o;
  o.endpoint = *s3::ParseEndpoint("http://127.0.0.1:9");
  o.credentials.access_key = "AK";
  o.credentials.secret_key = "SK";
  o.list_limit = list_limit;
  return o;
}

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("k/" + std::to_string(1000 + i));
  return keys;
}

TEST(ListSizesTest, TakesEverySizeUpToTheLimitAsked) {
  FakeListing fake(Keys(50), 10);
  s3::Client client(&fake, Options(0));
  auto sizes = ListSizes(client, "b", "k/", 1000);
  ASSERT_TRUE(sizes.ok()) << sizes.status().ToString();
  EXPECT_EQ(sizes->size(), 50u);
  sizes = ListSizes(client, "b", "k/", 25);
  ASSERT_TRUE(sizes.ok()) << sizes.status().ToString();
  EXPECT_EQ(sizes->size(), 25u);
}

TEST(ListSizesTest, StopsAtTheListLimit) {
  FakeListing fake(Keys(50), 10);
  s3::Client client(&fake, Options(20));
  auto sizes = ListSizes(client, "b", "k/", 1000);
  ASSERT_FALSE(sizes.ok());
  EXPECT_NE(sizes.status().message().find("more than 20 keys"), std::string::npos)
      << sizes.status().ToString();
}

// A short run against FakeS3: a working set of 10 objects, read for a
// moment, then deleted by the clean-up.
class BenchCleanupTest : public ::testing::Test {
 protected:
  BenchReport Run(uint64_t list_limit, const std::function<void(BenchOptions*)>& tweak = nullptr) {
    fake_.CreateBucket("b");
    s3::ClientOptions o = gwsync::testing::FakeS3::ClientOptions();
    o.list_limit = list_limit;
    client_ = std::make_unique<s3::Client>(&fake_, o);
    BenchOptions b;
    b.bucket = "b";
    b.mix = Mix::Single(Op::kGet);
    b.sizes = *SizeDistribution::Parse("1KiB");
    b.concurrency = {1};
    b.duration = 0.05;
    b.warmup = 0;
    b.objects = 10;
    if (tweak) tweak(&b);
    auto report = RunBench(*client_, b);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : BenchReport();
  }
  ~BenchCleanupTest() override { fake_.Stop(); }  // before the client goes

  gwsync::testing::FakeS3 fake_;
  std::unique_ptr<s3::Client> client_;
};

TEST_F(BenchCleanupTest, DeletesTheRunAndCountsItsListRequests) {
  BenchReport report = Run(0);
  EXPECT_EQ(report.cleanup.errors, 0u) << report.cleanup.first_error;
  EXPECT_EQ(report.cleanup.objects, 10u);
  EXPECT_TRUE(fake_.Contents("b").empty());
  uint64_t listed = 0;
  for (const auto& by_api : report.requests) {
    auto it = by_api.find("ListObjects");
    if (it != by_api.end()) listed += it->second;
  }
  EXPECT_EQ(listed, static_cast<uint64_t>(fake_.CountOp("ListObjectsV2")));
}

TEST_F(BenchCleanupTest, StopsAtTheListLimit) {
  BenchReport report = Run(5);
  EXPECT_EQ(report.cleanup.errors, 1u);
  EXPECT_NE(report.cleanup.first_error.find("more than 5 keys"), std::string::npos)
      << report.cleanup.first_error;
}

// Multipart puts whose completion fails leave their uploads behind, more
// than a page of them: the clean-up aborts them all, page after page (it
// once read the first page only).
TEST_F(BenchCleanupTest, AbortsEveryPageOfUnfinishedUploads) {
  fake_.set_uploads_page_size(2);
  fake_.Fail(gwsync::testing::FakeS3::Op("CompleteMultipartUpload"),
             {.status = 400, .code = "InvalidPart", .transport = Status::Ok(), .times = -1});
  BenchReport report = Run(0, [](BenchOptions* b) {
    b->mix = Mix::Single(Op::kMultipartPut);
    b->multipart_threshold = 1;
    b->part_size = 5u << 20;  // S3's least; each 1 KiB put is one part
  });
  ASSERT_GT(fake_.CountOp("CreateMultipartUpload"), 2);  // more than a page was left
  EXPECT_EQ(report.cleanup.errors, 0u) << report.cleanup.first_error;
  EXPECT_EQ(fake_.UploadsInProgress("b"), 0u);
  EXPECT_GT(fake_.CountOp("ListMultipartUploads"), 1);
}

}  // namespace
}  // namespace gwsync::loadgen
