#include "feed/broker.h"

#include <gtest/gtest.h>

#include <fstream>

namespace gwsync::feed {
namespace {

TEST(ParseBrokerUrl, HostPortVhost) {
  auto a = ParseBrokerUrl("amqp://mq.example:5673/prod%2Fbackups");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "mq.example");
  EXPECT_EQ(a->port, 5673);
  EXPECT_EQ(a->vhost, "prod/backups");
  auto d = ParseBrokerUrl("amqp://127.0.0.1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 5672);
  EXPECT_EQ(d->vhost, "/");
  EXPECT_EQ(d->Url(), "amqp://127.0.0.1:5672/%2F");
  EXPECT_EQ(ParseBrokerUrl(d->Url())->vhost, "/");
}

TEST(ParseBrokerUrl, RefusesCredentialsAndNonsense) {
  auto c = ParseBrokerUrl("amqp://user:secret@host/");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message().find("secret"), std::string::npos);
  EXPECT_FALSE(ParseBrokerUrl("http://host").ok());
  EXPECT_FALSE(ParseBrokerUrl("amqp://host:0").ok());
  EXPECT_FALSE(ParseBrokerUrl("amqp://host:99999").ok());
  EXPECT_FALSE(ParseBrokerUrl("amqp://:5672").ok());
}

TEST(ParseFeedUrl, RoundTrips) {
  auto f = ParseFeedUrl("amqp://127.0.0.1:5790/%2F?queue=gwsync-photos");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->queue, "gwsync-photos");
  EXPECT_EQ(f->Url(), "amqp://127.0.0.1:5790/%2F?queue=gwsync-photos");
  EXPECT_FALSE(ParseFeedUrl("amqp://127.0.0.1:5790/").ok());
}

TEST(ResolveBrokerCredentials, FileThenEnvironmentThenGuest) {
  auto none = [](const char*) { return std::optional<std::string>(); };
  auto guest = ResolveBrokerCredentials("", none);
  ASSERT_TRUE(guest.ok());
  EXPECT_EQ(guest->user, "guest");
  EXPECT_FALSE(guest->given);
  auto env = [](const char* n) {
    return std::optional<std::string>(std::string(n) == "GWSYNC_AMQP_USER" ? "rgw" : "pw");
  };
  EXPECT_EQ(ResolveBrokerCredentials("", env)->user, "rgw");
  const std::string path = ::testing::TempDir() + "/broker-credentials";
  std::ofstream(path) << "backup:s3cr:et\n";
  auto file = ResolveBrokerCredentials(path, env);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->user, "backup");
  EXPECT_EQ(file->password, "s3cr:et");
  EXPECT_FALSE(ResolveBrokerCredentials(path + ".missing", env).ok());
}

}  // namespace
}  // namespace gwsync::feed
