// An object's and a bucket's headers as a gateway sends them: a number that
// is not one, or a Content-Range that is not a range, is an error, never a
// size or count silently taken as 0 (found by tests/fuzz/headers_fuzz.cc).
#include "s3/headers.h"

#include <gtest/gtest.h>

#include "s3/client.h"

namespace gwsync::s3 {
namespace {

http::Response With(http::Headers headers) {
  http::Response r;
  r.status = 200;
  r.headers = std::move(headers);
  return r;
}

TEST(HeadFromHeaders, ReadsSizesCountsAndTheFullSizeOfARange) {
  auto head = HeadFromHeaders(With({{"content-length", "10"},
                                    {"content-range", "bytes 0-9/1234"},
                                    {"x-amz-tagging-count", "2"},
                                    {"x-amz-mp-parts-count", "3"},
                                    {"etag", "\"abc-3\""},
                                    {"x-amz-meta-mtime", "1700000000"}}));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 1234u);
  EXPECT_EQ(head->content_length, 10u);
  EXPECT_EQ(head->tag_count, 2);
  EXPECT_EQ(head->parts_count, 3);
  EXPECT_EQ(head->etag, "abc-3");
  EXPECT_EQ(head->metadata.at("mtime"), "1700000000");
}

// At 0 the object's tags would be left behind by a copy or a download.
TEST(HeadFromHeaders, ATagCountThatIsNotOneIsAnError) {
  for (const char* count : {"99999999999", "-1", "2x", "many"}) {
    auto head = HeadFromHeaders(With({{"x-amz-tagging-count", count}}));
    EXPECT_EQ(head.status().code(), StatusCode::kDataLoss) << count;
  }
  for (const char* count : {"10001", "-3", "3 parts"}) {
    auto head = HeadFromHeaders(With({{"x-amz-mp-parts-count", count}}));
    EXPECT_EQ(head.status().code(), StatusCode::kDataLoss) << count;
  }
}

TEST(HeadFromHeaders, AContentRangeThatIsNotARangeIsAnError) {
  for (const char* range :
       {"bytes */1234", "bytes 5-2/10", "bytes 0-99/50", "bytes 0-9/*", "garbage/1234"}) {
    auto head = HeadFromHeaders(With({{"content-length", "10"}, {"content-range", range}}));
    EXPECT_EQ(head.status().code(), StatusCode::kDataLoss) << range;
  }
}

TEST(BucketHeadFromHeaders, ACountIsANumberOrAbsent) {
  EXPECT_EQ(BucketHeadFromHeaders(With({{"x-rgw-object-count", "42"}})).object_count, 42u);
  EXPECT_FALSE(BucketHeadFromHeaders(With({{"x-rgw-object-count", "42x"}})).object_count);
  EXPECT_FALSE(BucketHeadFromHeaders(With({})).object_count);
}

}  // namespace
}  // namespace gwsync::s3
