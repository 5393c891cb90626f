// What a program sees of gwsync/feed.h and gwsync/report.h without a
// gateway or a broker: the names a feed takes and the request's mistakes,
// and share reports merged from files. Only public headers (and the tests'
// scratch folder): the test is a program using the library.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "gwsync/feed.h"
#include "gwsync/report.h"
#include "support/scratch.h"

namespace gwsync {
namespace {

FeedRequest Request(const std::string& bucket, const std::string& broker) {
  FeedRequest r;
  r.bucket = bucket;
  r.broker = broker;
  return r;
}

TEST(CheckFeedTest, NamesDefaultToGwsyncBucket) {
  unsetenv("GWSYNC_AMQP_USER");
  unsetenv("GWSYNC_AMQP_PASSWORD");
  auto n = CheckFeed(Request("s3://photos", "amqp://mq.example/backups"));
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->bucket, "photos");
  EXPECT_EQ(n->exchange, "gwsync-photos");
  EXPECT_EQ(n->queue, "gwsync-photos");
  EXPECT_EQ(n->topic, "gwsync-photos");
  EXPECT_EQ(n->broker, "amqp://mq.example:5672/backups");
  EXPECT_EQ(n->feed, "amqp://mq.example:5672/backups?queue=gwsync-photos");
}

TEST(CheckFeedTest, GivenNamesAreKept) {
  FeedRequest r = Request("s3://photos", "amqp://127.0.0.1:5673");
  r.exchange = "x";
  r.queue = "q";
  r.topic = "t";
  auto n = CheckFeed(r);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->exchange, "x");
  EXPECT_EQ(n->queue, "q");
  EXPECT_EQ(n->topic, "t");
  EXPECT_EQ(n->feed, "amqp://127.0.0.1:5673/%2F?queue=q");
}

TEST(CheckFeedTest, RefusesWhatCannotWork) {
  for (const FeedRequest& r :
       {Request("s3://photos/2024", "amqp://mq"), Request("s3://photos", "http://mq"),
        Request("s3://photos", "amqp://user:secret@mq")}) {
    auto n = CheckFeed(r);
    ASSERT_FALSE(n.ok()) << r.bucket << " " << r.broker;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << n.status().message();
  }
  FeedRequest r = Request("s3://photos", "amqp://mq");
  r.credentials_file = "/nonexistent/creds";
  EXPECT_FALSE(CheckFeed(r).ok());
}

// A share's --json report as `sync --shard I/N --json` writes it.
std::string Share(int index, int count, const char* after, const char* through, int errors,
                  const std::string& manifest) {
  auto bound = [](const char* b) { return b ? "\"" + std::string(b) + "\"" : std::string("null"); };
  return "{\"shard\":{\"index\":" + std::to_string(index) + ",\"count\":" + std::to_string(count) +
         ",\"after\":" + bound(after) + ",\"through\":" + bound(through) +
         "},\"actions\":{},\"source\":\"/src\",\"destination\":\"s3://b\"," +
         "\"source_objects\":3,\"error_count\":" + std::to_string(errors) + ",\"manifests\":[\"" +
         manifest + "\"]}";
}

class MergeShareReportsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = scratch_ / name;
    std::ofstream(path) << text;
    return path;
  }
  testing::Scratch scratch_{"gwsync-api-report"};
};

TEST_F(MergeShareReportsTest, CompleteSharesAddUp) {
  auto m = MergeShareReports({Write("1.json", Share(1, 2, "m", nullptr, 0, "s3://b/m1")),
                              Write("0.json", Share(0, 2, nullptr, "m", 0, "s3://b/m0"))});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->complete());
  EXPECT_EQ(m->count, 2);
  EXPECT_EQ(m->reported, 2u);
  EXPECT_EQ(m->source_objects, 6u);
  EXPECT_EQ(m->error_count, 0u);
  EXPECT_NE(m->json.find("\"complete\": true"), std::string::npos) << m->json;
  EXPECT_EQ(m->json.back(), '\n');
  // Manifests in the bucket are not joined, and it is said.
  ASSERT_EQ(m->notices.size(), 1u);
  EXPECT_NE(m->notices[0].find("in the bucket"), std::string::npos);
  EXPECT_TRUE(m->manifests.empty());
}

TEST_F(MergeShareReportsTest, AMissingOrFailedShareIsAProblem) {
  auto m = MergeShareReports({Write("0.json", Share(0, 3, nullptr, "m", 2, "s3://b/m0"))});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(m->complete());
  EXPECT_EQ(m->count, 3);
  EXPECT_EQ(m->reported, 1u);
  EXPECT_EQ(m->error_count, 2u);
  EXPECT_TRUE(m->notices.empty());
  std::string all;
  for (const auto& p : m->problems) all += p + "\n";
  EXPECT_NE(all.find("share 0 (" + scratch_ / "0.json" + "): 2 errors"), std::string::npos) << all;
  EXPECT_NE(all.find("share 1 of 3: no report"), std::string::npos) << all;
  EXPECT_NE(all.find("share 2 of 3: no report"), std::string::npos) << all;
}

TEST_F(MergeShareReportsTest, AnUnreadableFileIsNotFound) {
  auto m = MergeShareReports({scratch_ / "missing.json"});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gwsync
