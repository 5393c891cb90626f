#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace gwsync::config {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

// Each test writes its files into a scratch folder of its own.
class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gwsync-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::string dir_;
};

// What `s3cmd --configure` writes, shortened; the other settings are ignored.
constexpr char kS3cmdConfigure[] = R"([default]
access_key = AKIAEXAMPLE
access_token =
add_encoding_exts =
bucket_location = US
ca_certs_file =
check_ssl_certificate = True
gpg_decrypt = %(gpg_command)s -d --verbose --no-use-agent --batch --yes --passphrase-fd %(passphrase_fd)s -o %(output_file)s %(input_file)s
host_base = 127.0.0.1:7480
host_bucket = %(bucket)s.127.0.0.1:7480
secret_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY
signature_v2 = False
use_https = True
website_endpoint = http://%(bucket)s.s3-website-%(location)s.amazonaws.com/
)";

TEST_F(ConfigFileTest, ReadsWhatS3cmdConfigureWrites) {
  auto cfg = ReadS3cmdConfig(Write("s3cfg", kS3cmdConfigure));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->access_key, "AKIAEXAMPLE");
  EXPECT_EQ(cfg->secret_key, kSecret);
  EXPECT_EQ(cfg->host_base, "127.0.0.1:7480");
  EXPECT_EQ(cfg->host_bucket, "%(bucket)s.127.0.0.1:7480");
  EXPECT_EQ(cfg->use_https, true);
  EXPECT_EQ(cfg->signature_v2, false);
}

TEST_F(ConfigFileTest, S3cmdBooleansInEveryCase) {
  for (const char* yes : {"True", "true", "TRUE", "yes", "Yes", "on", "1"}) {
    auto cfg = ReadS3cmdConfig(Write("s3cfg", std::string("[default]\nuse_https = ") + yes));
    ASSERT_TRUE(cfg.ok()) << yes << ": " << cfg.status().ToString();
    EXPECT_EQ(cfg->use_https, true) << yes;
  }
  for (const char* no : {"False", "false", "no", "NO", "off", "0"}) {
    auto cfg = ReadS3cmdConfig(Write("s3cfg", std::string("[default]\nsignature_v2 = ") + no));
    ASSERT_TRUE(cfg.ok()) << no << ": " << cfg.status().ToString();
    EXPECT_EQ(cfg->signature_v2, false) << no;
  }
  auto unset = ReadS3cmdConfig(Write("s3cfg", "[default]\naccess_key = a\n"));
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->use_https.has_value());
  EXPECT_FALSE(unset->signature_v2.has_value());
}

TEST_F(ConfigFileTest, NotABooleanNamesTheLine) {
  std::string path = Write("s3cfg", "[default]\naccess_key = a\nuse_https = maybe\n");
  auto cfg = ReadS3cmdConfig(path);
  ASSERT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cfg.status().message(),
            "config file '" + path + "' line 3: use_https must be True or False, not 'maybe'");
}

TEST_F(ConfigFileTest, OnlyTheDefaultSectionCounts) {
  auto cfg = ReadS3cmdConfig(Write("s3cfg",
                                   "access_key = before-any-section\n"
                                   "[other]\naccess_key = other\nsecret_key = other\n"
                                   "[default]\nsecret_key = right\n"
                                   "[more]\nhost_base = elsewhere\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->access_key, "before-any-section");
  EXPECT_EQ(cfg->secret_key, "right");
  EXPECT_EQ(cfg->host_base, "");
}

TEST_F(ConfigFileTest, CommentsBlanksQuotesAndWindowsLineEnds) {
  auto cfg = ReadS3cmdConfig(Write("s3cfg",
                                   "# s3cmd config\r\n"
                                   "; old style comment\r\n"
                                   "\r\n"
                                   "[default]\r\n"
                                   "  access_key   =   spaced  \r\n"
                                   "\tsecret_key = \"quoted\"\r\n"
                                   "    host_base = indented:7480\r\n"
                                   "use_https=no"));  // no final newline
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->access_key, "spaced");
  EXPECT_EQ(cfg->secret_key, "quoted");
  EXPECT_EQ(cfg->host_base, "indented:7480");  // not a continuation of secret_key
  EXPECT_EQ(cfg->use_https, false);
}

TEST_F(ConfigFileTest, MissingConfigFileIsNotFound) {
  auto cfg = ReadS3cmdConfig(dir_ + "/absent");
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
  EXPECT_NE(cfg.status().message().find(dir_ + "/absent"), std::string::npos);
}

TEST_F(ConfigFileTest, AFolderIsNoConfigFile) {
  auto cfg = ReadS3cmdConfig(dir_);
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cfg.status().message(), "cannot read config file '" + dir_ + "': Is a directory");
}

TEST_F(ConfigFileTest, MalformedLineNamesFileAndLineButNoSecret) {
  std::string path = Write("s3cfg", std::string("[default]\naccess_key = a\nsecret_key ") +
                                        kSecret + "\nhost_base = h\n");
  auto cfg = ReadS3cmdConfig(path);
  ASSERT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = cfg.status().message();
  EXPECT_NE(m.find("'" + path + "' line 3"), std::string::npos) << m;
  EXPECT_EQ(m.find(kSecret), std::string::npos) << m;

  auto unclosed = ReadS3cmdConfig(Write("s3cfg", "# x\n[default\naccess_key = a\n"));
  ASSERT_EQ(unclosed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unclosed.status().message().find("line 2"), std::string::npos)
      << unclosed.status().message();
}

TEST_F(ConfigFileTest, LongLinesMatterOnlyForSettingsInUse) {
  std::string long_value(400, 'x');
  auto cfg = ReadS3cmdConfig(
      Write("s3cfg", "[default]\nadd_headers = " + long_value + "\naccess_key = a\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->access_key, "a");  // the long line's tail was not read as a line

  std::string path = Write("s3cfg", "[default]\naccess_key = a\nsecret_key = " + long_value + "\n");
  auto used = ReadS3cmdConfig(path);
  ASSERT_EQ(used.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(used.status().message().find("'" + path + "' line 3: the line is longer than"),
            std::string::npos)
      << used.status().message();
  EXPECT_EQ(used.status().message().find("xxxxxxxx"), std::string::npos);
}

TEST_F(ConfigFileTest, RemotesWithSeveralGateways) {
  auto remotes = ReadRemotesFile(Write("remotes.conf", R"(# two clusters
[old]
endpoint = http://10.0.0.5:7480
endpoint = http://10.0.0.6:7480
access_key = OLDKEY
secret_key = oldsecret

[remote new]
  endpoint = https://rgw.new.example:443
  access_key = NEWKEY
  secret_key = newsecret
  signature = v2
  region = eu-1
)"),
                                 /*must_exist=*/true);
  ASSERT_TRUE(remotes.ok()) << remotes.status().ToString();
  ASSERT_EQ(remotes->size(), 2u);
  const RemoteConfig& old = remotes->at("old");
  EXPECT_EQ(old.endpoints,
            (std::vector<std::string>{"http://10.0.0.5:7480", "http://10.0.0.6:7480"}));
  EXPECT_EQ(old.access_key, "OLDKEY");
  EXPECT_EQ(old.secret_key, "oldsecret");
  EXPECT_EQ(old.signature, "");
  const RemoteConfig& fresh = remotes->at("new");
  EXPECT_EQ(fresh.endpoints, std::vector<std::string>{"https://rgw.new.example:443"});
  EXPECT_EQ(fresh.access_key, "NEWKEY");
  EXPECT_EQ(fresh.secret_key, "newsecret");
  EXPECT_EQ(fresh.signature, "v2");
  EXPECT_EQ(fresh.region, "eu-1");
}

TEST_F(ConfigFileTest, MissingRemotesFile) {
  auto optional = ReadRemotesFile(dir_ + "/absent", /*must_exist=*/false);
  ASSERT_TRUE(optional.ok()) << optional.status().ToString();
  EXPECT_TRUE(optional->empty());
  auto required = ReadRemotesFile(dir_ + "/absent", /*must_exist=*/true);
  EXPECT_EQ(required.status().code(), StatusCode::kNotFound);
  EXPECT_NE(required.status().message().find(dir_ + "/absent"), std::string::npos);
}

TEST_F(ConfigFileTest, RemotesMistakesNameTheLine) {
  struct Case {
    std::string text;
    std::string expected;  // after "remotes file 'PATH' line "
  };
  for (const Case& c : std::vector<Case>{
           {"[a]\nendpoint = http://h\nendpiont = http://x\n",
            "3: unknown setting 'endpiont' (expected endpoint, access_key, secret_key, "
            "signature or region)"},
           {"endpoint = http://h\n[a]\n", "1: 'endpoint' is outside a [NAME] section"},
           {"[a]\nsignature = v3\n", "2: signature must be v2 or v4, not 'v3'"},
           {"[a]\nendpoint =\n", "2: endpoint is empty"},
       }) {
    std::string path = Write("remotes.conf", c.text);
    auto remotes = ReadRemotesFile(path, false);
    ASSERT_EQ(remotes.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(remotes.status().message(), "remotes file '" + path + "' line " + c.expected);
  }
  std::string path =
      Write("remotes.conf", std::string("[a]\nendpoint = http://h\n\nsecret_key\t") + kSecret);
  auto malformed = ReadRemotesFile(path, false);
  ASSERT_EQ(malformed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(malformed.status().message(), "malformed remotes file '" + path +
                                              "' line 4: expected NAME = VALUE, [SECTION] or a "
                                              "# comment");
}

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultRemotesPathTest, EnvironmentThenXdgThenHome) {
  ScopedEnv home("HOME", "/home/op");
  {
    ScopedEnv remotes("GWSYNC_REMOTES", "/etc/gwsync/remotes.conf");
    ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
    EXPECT_EQ(DefaultRemotesPath(), "/etc/gwsync/remotes.conf");
  }
  {
    ScopedEnv remotes("GWSYNC_REMOTES", nullptr);
    ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
    EXPECT_EQ(DefaultRemotesPath(), "/xdg/gwsync/remotes.conf");
  }
  {
    ScopedEnv remotes("GWSYNC_REMOTES", "");
    ScopedEnv xdg("XDG_CONFIG_HOME", "");
    EXPECT_EQ(DefaultRemotesPath(), "/home/op/.config/gwsync/remotes.conf");
  }
}

}  // namespace
}  // namespace gwsync::config
