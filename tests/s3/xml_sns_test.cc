// The topic API's answers and the bucket notification configuration, as
// Ceph RGW 16.2 sends them (captured from the local gateway), and the shapes
// that must be refused.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "s3/xml.h"

namespace gwsync::s3::xml {
namespace {

TEST(XmlSnsTest, CreateTopicGivesTheArnDecoded) {
  auto arn = ParseCreateTopic(
      "<CreateTopicResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\">"
      "<CreateTopicResult><TopicArn>arn:aws:sns:default::probe&amp;x</TopicArn>"
      "</CreateTopicResult><ResponseMetadata><RequestId>7b97.4104.75</RequestId>"
      "</ResponseMetadata></CreateTopicResponse>");
  ASSERT_TRUE(arn.ok()) << arn.status().ToString();
  EXPECT_EQ(*arn, "arn:aws:sns:default::probe&x");
  EXPECT_FALSE(
      ParseCreateTopic("<CreateTopicResponse><CreateTopicResult/></CreateTopicResponse>").ok());
  auto error = ParseCreateTopic(
      "<ErrorResponse><Error><Code>InvalidArgument</Code><Message>no</Message></Error>"
      "</ErrorResponse>");
  EXPECT_EQ(error.status().code(), StatusCode::kInvalidArgument);
}

TEST(XmlSnsTest, ListTopicsGivesEveryArn) {
  auto arns = ParseListTopics(
      "<ListTopicsResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><ListTopicsResult>"
      "<Topics><member><User></User><Name>probe&amp;x</Name><EndPoint><EndpointAddress>"
      "amqp://127.0.0.1:5772/a+b</EndpointAddress><EndpointTopic>probe&amp;x</EndpointTopic>"
      "<HasStoredSecret>False</HasStoredSecret><Persistent>True</Persistent></EndPoint>"
      "<TopicArn>arn:aws:sns:default::probe&amp;x</TopicArn><OpaqueData></OpaqueData></member>"
      "<member><TopicArn>arn:aws:sns:default::other</TopicArn></member></Topics>"
      "</ListTopicsResult></ListTopicsResponse>");
  ASSERT_TRUE(arns.ok()) << arns.status().ToString();
  EXPECT_EQ(*arns, (std::vector<std::string>{"arn:aws:sns:default::probe&x",
                                             "arn:aws:sns:default::other"}));
  auto none = ParseListTopics(
      "<ListTopicsResponse><ListTopicsResult><Topics></Topics></ListTopicsResult>"
      "</ListTopicsResponse>");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(ParseListTopics("<html>502 Bad Gateway</html>").ok());
}

TEST(XmlSnsTest, TopicAttributesGivesTheEntriesDecoded) {
  auto entries = ParseTopicAttributes(
      "<GetTopicAttributesResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\">"
      "<GetTopicAttributesResult><Attributes><entry><key>User</key><value></value></entry>"
      "<entry><key>EndPoint</key><value>{&quot;EndpointAddress&quot;:&quot;amqp://127.0.0.1:5772/"
      "a+b&quot;,&quot;EndpointArgs&quot;:&quot;push-endpoint=amqp://127.0.0.1:5772/a+b&amp;"
      "persistent=true&quot;,&quot;Persistent&quot;:&quot;true&quot;}</value></entry>"
      "<entry><key>TopicArn</key><value>arn:aws:sns:default::probe&amp;x</value></entry>"
      "</Attributes></GetTopicAttributesResult></GetTopicAttributesResponse>");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  EXPECT_EQ(*entries, (std::vector<std::pair<std::string, std::string>>{
                          {"User", ""},
                          {"EndPoint",
                           "{\"EndpointAddress\":\"amqp://127.0.0.1:5772/a+b\",\"EndpointArgs\":"
                           "\"push-endpoint=amqp://127.0.0.1:5772/a+b&persistent=true\","
                           "\"Persistent\":\"true\"}"},
                          {"TopicArn", "arn:aws:sns:default::probe&x"}}));
}

TEST(XmlSnsTest, NotificationConfigurationGivesEachTopicConfiguration) {
  auto config = ParseNotificationConfiguration(
      "<NotificationConfiguration><TopicConfiguration><Id>gwsync-feed</Id>"
      "<Topic>arn:aws:sns:default::probe&amp;x</Topic><Event>s3:ObjectCreated:*</Event>"
      "<Event>s3:ObjectRemoved:*</Event></TopicConfiguration><TopicConfiguration><Id>other</Id>"
      "<Topic>arn:aws:sns:default::t</Topic><Event>s3:ObjectRemoved:*</Event>"
      "</TopicConfiguration></NotificationConfiguration>");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->size(), 2u);
  EXPECT_EQ((*config)[0].id, "gwsync-feed");
  EXPECT_EQ((*config)[0].topic, "arn:aws:sns:default::probe&x");
  EXPECT_EQ((*config)[0].events,
            (std::vector<std::string>{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}));
  EXPECT_EQ((*config)[1].id, "other");
  for (const char* empty :
       {"", "<NotificationConfiguration/>",
        "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "</NotificationConfiguration>"}) {
    auto none = ParseNotificationConfiguration(empty);
    ASSERT_TRUE(none.ok()) << empty << ": " << none.status().ToString();
    EXPECT_TRUE(none->empty()) << empty;
  }
  auto error =
      ParseNotificationConfiguration("<Error><Code>AccessDenied</Code><Message></Message></Error>");
  EXPECT_EQ(error.status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(ParseNotificationConfiguration("<html>no</html>").ok());
}

}  // namespace
}  // namespace gwsync::s3::xml
