// GatewayOptions resolved as `gwsync` resolves its flags: what is given
// first, then the environment, then s3cmd's file; the error a user can act on
// when something is missing. The environment is a seam: no process state.
#include "api/resolve.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace gwsync::api {
namespace {

namespace fs = std::filesystem;

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gwsync-resolve-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream((dir_ / name).string()) << text;
    return (dir_ / name).string();
  }
  EnvLookup Env() const {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }

  fs::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ResolveTest, GivenThenEnvironmentThenS3cmdFile) {
  GatewayOptions g;
  g.config_file = Write("s3cfg",
                        "[default]\naccess_key = FILEKEY\nsecret_key = FILESECRET\n"
                        "host_base = files.example:8080\nuse_https = True\n");
  auto o = ResolveClientOptions(g, Env());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.access_key, "FILEKEY");
  EXPECT_EQ(o->credentials.secret_key, "FILESECRET");
  EXPECT_EQ(o->endpoint.BaseUrl(), "https://files.example:8080");

  env_ = {{"AWS_ACCESS_KEY_ID", "ENVKEY"},
          {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
          {"AWS_ENDPOINT_URL", "http://env.example:7480"}};
  o = ResolveClientOptions(g, Env());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.access_key, "ENVKEY");
  EXPECT_EQ(o->credentials.secret_key, "ENVSECRET");
  EXPECT_EQ(o->endpoint.BaseUrl(), "http://env.example:7480");

  g.access_key = "GIVENKEY";
  g.secret_key_file = Write("secret", "GIVENSECRET \r\nsecond line\n");
  g.endpoints = {"http://127.0.0.1:7480", "127.0.0.1:7580"};
  o = ResolveClientOptions(g, Env());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.access_key, "GIVENKEY");
  EXPECT_EQ(o->credentials.secret_key, "GIVENSECRET");
  EXPECT_EQ(o->endpoint.BaseUrl(), "http://127.0.0.1:7480");
  ASSERT_EQ(o->more_endpoints.size(), 1u);
  // The file's use_https holds for every gateway given without a scheme.
  EXPECT_EQ(o->more_endpoints[0].BaseUrl(), "https://127.0.0.1:7580");
}

TEST_F(ResolveTest, WhatIsMissingIsSaid) {
  GatewayOptions g;
  g.config_file = Write("empty", "[default]\n");
  auto o = ResolveClientOptions(g, Env());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(o.status().message().rfind("no credentials: ", 0), 0u) << o.status().message();

  env_ = {{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}};
  o = ResolveClientOptions(g, Env());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().message().rfind("no gateway endpoint: ", 0), 0u) << o.status().message();

  // A file named must exist.
  g.config_file = (dir_ / "missing").string();
  o = ResolveClientOptions(g, Env());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kNotFound) << o.status().message();

  GatewayOptions bad;
  bad.part_size = "1MiB";
  auto t = ResolveTransferOptions(bad);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "--part-size must be at least 5MiB (the S3 minimum part size)");
  bad = GatewayOptions();
  bad.ca_bundle = (dir_ / "no-such-ca.pem").string();
  auto tls = ResolveTransportOptions(bad, Env());
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("cannot read the CA bundle"), std::string::npos);
}

TEST_F(ResolveTest, LimitsAndSizes) {
  GatewayOptions g;
  g.endpoints = {"http://127.0.0.1:7480"};
  g.access_key = "K";
  g.secret_key = "S";
  g.config_file = "/dev/null";
  g.max_body_size = "8MiB";  // a router's limit caps parts and the single-PUT size
  g.concurrency = 4;
  g.bwlimit = "50M";
  auto t = ResolveTransferOptions(g);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->part_size, 8u << 20);
  EXPECT_EQ(t->multipart_threshold, 8u << 20);
  EXPECT_EQ(t->parallel, 4);
  auto c = ResolveClusterOptions(g, Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->client.pool.max_concurrency, 4);
  EXPECT_EQ(c->transport.bytes_per_second, 50u << 20);  // M: 1024 * 1024, as for the flags
  g.timeout = 0;
  EXPECT_FALSE(ResolveClusterOptions(g, Env()).ok());
}

}  // namespace
}  // namespace gwsync::api
