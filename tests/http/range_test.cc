// Byte ranges: what a request asks for reads back as written, and an
// answer's Content-Range is a range of the object or nothing.
#include "http/range.h"

#include <gtest/gtest.h>

#include <future>

#include "http/bodies.h"
#include "http/event_loop.h"
#include "support/loopback_server.h"

namespace gwsync::http {
namespace {

TEST(Range, WhatIsWrittenReadsBack) {
  for (RangeAsked r : {RangeAsked{0, 0}, RangeAsked{5, 9}, RangeAsked{7, std::nullopt},
                       RangeAsked{UINT64_MAX - 1, UINT64_MAX - 1}}) {
    std::optional<RangeAsked> back = ParseRange(FormatRange(r));
    ASSERT_TRUE(back) << FormatRange(r);
    EXPECT_EQ(back->first, r.first);
    EXPECT_EQ(back->last, r.last);
  }
  EXPECT_EQ(FormatRange({5, 9}), "bytes=5-9");
  EXPECT_EQ(FormatRange({7, std::nullopt}), "bytes=7-");
  for (const char* bad : {"bytes=-5", "bytes=9-5", "bytes=1-2,4-5", "bytes 1-2", "bytes=x-"}) {
    EXPECT_FALSE(ParseRange(bad)) << bad;
  }
}

TEST(ContentRange, IsARangeOfTheObject) {
  std::optional<ContentRange> r = ParseContentRange("bytes 0-9/1234");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 9u);
  EXPECT_EQ(r->size, 1234u);
  r = ParseContentRange("bytes 5-9/*");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->size);
  for (const char* bad :
       {"bytes */1234", "bytes 9-5/10", "bytes 0-10/10", "bytes 0-9/0", "bytes -1-9/10",
        "bytes 0-9", "0-9/10", "bytes 0-9/10x", "bytes 0-99999999999999999999/*"}) {
    EXPECT_FALSE(ParseContentRange(bad)) << bad;
  }
}

// A range of 2^64 bytes has a length that does not fit 64 bits: taken as 0,
// "no limit", it let a gateway send on past the size the caller expects.
TEST(ContentRange, ARangeOf2To64BytesLiftsNoLimit) {
  gwsync::testing::LoopbackServer server(
      {.status = 206,
       .body_bytes = 100,
       .headers = "Content-Range: bytes 0-18446744073709551615/*\r\n"});
  auto transport = CurlTransport::Create();
  ASSERT_TRUE(transport.ok());
  Request r;
  r.url = server.url();
  auto sink = std::make_shared<StringSink>();
  r.sink = sink;
  r.max_body = 10;
  auto done = std::make_shared<std::promise<Response>>();
  auto future = done->get_future();
  (*transport)->Send(std::move(r), [done](Response got) { done->set_value(std::move(got)); });
  ASSERT_EQ(future.wait_for(std::chrono::seconds(15)), std::future_status::ready);
  Response got = future.get();
  EXPECT_EQ(got.transport.code(), StatusCode::kDataLoss) << got.transport.ToString();
  EXPECT_LE(sink->data().size(), 10u);
}

}  // namespace
}  // namespace gwsync::http
