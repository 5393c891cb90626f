// size: the commands' end-to-end cases over one fixture and one gateway.
// The gwsync binary ($GWSYNC_BIN) against the real RGW, as a user runs it:
// exit codes, what lands on stdout and stderr, and what is (or is not)
// written locally and in the bucket. Every run gets a clean environment with
// HOME in a scratch folder, so a developer's ~/.s3cfg or AWS_* never leak in.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "e2e/run_gwsync.h"
#include "http/bodies.h"
#include "support/gateway.h"
#include "transfer/bulk.h"

namespace gwsync::e2e {
namespace {

using gwsync::testing::GatewayTest;
using gwsync::testing::RandomBytes;
using gwsync::testing::ReadFile;
using gwsync::testing::TempDir;
using gwsync::testing::TestGateway;
using gwsync::testing::UniqueBucketName;
using gwsync::testing::WriteFile;

namespace fs = std::filesystem;

constexpr char kWrongSecret[] = "NotTheSecretKey0123456789abcdefghijklmnop";
constexpr char kUnreachable[] = "http://127.0.0.1:1";

class CliTest : public GatewayTest {
 protected:
  void SetUp() override {
    bin_ = GwsyncBin();
    ASSERT_FALSE(bin_.empty());
    GatewayTest::SetUp();
    const TestGateway& gw = TestGateway::Get();
    endpoint_ = gw.endpoints.at(0);
    access_key_ = gw.access_key;
    secret_key_ = gw.secret_key;
  }

  void TearDown() override {
    for (const auto& b : extra_buckets_) {
      transfer::DeletePrefix(client(), b, "", true, nullptr).status().IgnoreError();
      s3::WaitStatus([&](auto done) { client().DeleteBucket(b, done); }).IgnoreError();
    }
    GatewayTest::TearDown();
  }

  // Runs gwsync with only HOME (a scratch folder) and PATH set, plus `env`.
  Result Run(const std::vector<std::string>& args, Env env = {}, const std::string& input = "") {
    env.try_emplace("HOME", home_.path());
    env.try_emplace("PATH", "/usr/bin:/bin");
    return e2e::Run(bin_, args, env, input);
  }
  // Runs a bash command line with "$GWSYNC" naming the binary, as a user's shell does.
  Result Shell(const std::string& script, Env env = {}) {
    env.try_emplace("HOME", home_.path());
    env.try_emplace("PATH", "/usr/bin:/bin");
    env["GWSYNC"] = bin_;
    Result r = e2e::Run("/bin/bash", {"-c", script}, env, "");
    r.command = script;
    return r;
  }
  Env Creds() const {
    return {{"AWS_ACCESS_KEY_ID", access_key_}, {"AWS_SECRET_ACCESS_KEY", secret_key_}};
  }
  // Runs gwsync against the test gateway with the right credentials.
  Result Gw(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--endpoint", endpoint_});
    return Run(args, Creds(), input);
  }

  // An s3cmd config file for the test gateway: host:port without a scheme.
  std::string S3cfg(const std::string& secret, const std::string& extra = "") const {
    std::string host = endpoint_.substr(endpoint_.find("://") + 3);
    return "[default]\naccess_key = " + access_key_ + "\nsecret_key = " + secret +
           "\nhost_base = " + host + "\nhost_bucket = " + host + "\nuse_https = False\n" + extra;
  }

  std::string Url(const std::string& key) const { return "s3://" + bucket_ + "/" + key; }
  // A bucket name that does not exist yet, removed at TearDown if created.
  std::string FreshBucket(const std::string& what) {
    extra_buckets_.push_back(UniqueBucketName(what));
    return extra_buckets_.back();
  }
  // Asks the gateway directly, without the binary under test.
  bool Exists(const std::string& key) const {
    auto head =
        s3::Wait<s3::ObjectHead>([&](auto done) { client().HeadObject(bucket_, key, done); });
    EXPECT_TRUE(head.ok() || head.status().code() == StatusCode::kNotFound)
        << head.status().ToString();
    return head.ok();
  }
  // Uploads `data` as `key` with the binary; returns the local source path.
  std::string Put(const std::string& key, const std::string& data) {
    std::string src = work_.File("put-" + std::to_string(puts_++));
    WriteFile(src, data);
    Result r = Gw({"put", src, Url(key)});
    EXPECT_EQ(r.exit_code, 0) << r;
    return src;
  }
  std::string Get(const std::string& url) {
    Result r = Gw({"get", url, "-"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  }

  std::string bin_, endpoint_, access_key_, secret_key_;
  TempDir home_, work_;

 private:
  std::vector<std::string> extra_buckets_;
  int puts_ = 0;
};

TEST_F(CliTest, BucketLifecycle) {
  std::string b = FreshBucket("life");
  ExpectOk(Gw({"mb", "s3://" + b}));
  Result ls = Gw({"ls"});
  ExpectOk(ls);
  EXPECT_TRUE(HasLineEndingWith(ls.out, "  s3://" + b)) << ls;

  std::string src = work_.File("f");
  WriteFile(src, "contents");
  ExpectOk(Gw({"put", src, "s3://" + b + "/f"}));
  std::string line = ExpectOneErrorLine(Gw({"rb", "s3://" + b}));
  EXPECT_TRUE(Contains(line, "--force"));
  EXPECT_TRUE(Contains(line, b));
  EXPECT_TRUE(HasLineEndingWith(Gw({"ls"}).out, "  s3://" + b)) << "rb removed a non-empty bucket";

  ExpectOk(Gw({"rb", "--force", "s3://" + b}));
  EXPECT_FALSE(HasLineEndingWith(Gw({"ls"}).out, "  s3://" + b));

  ExpectOk(Gw({"mb", "s3://" + b}));
  ExpectOk(Gw({"rb", "s3://" + b}));  // empty: no --force needed
  EXPECT_FALSE(HasLineEndingWith(Gw({"ls"}).out, "  s3://" + b));
}

TEST_F(CliTest, PutListGetCopy) {
  const std::string data = RandomBytes(100 * 1024 + 7, 1);
  std::string src = Put("dir/a.bin", data);
  Put("empty", "");

  Result ls = Gw({"ls", "-r", "s3://" + bucket_});
  ExpectOk(ls);
  EXPECT_TRUE(HasLineEndingWith(ls.out, " 102407  " + Url("dir/a.bin"))) << ls;
  EXPECT_TRUE(HasLineEndingWith(ls.out, " 0  " + Url("empty"))) << ls;
  Result top = Gw({"ls", "s3://" + bucket_});
  EXPECT_TRUE(HasLineEndingWith(top.out, "DIR  " + Url("dir/"))) << top;
  EXPECT_FALSE(HasLineEndingWith(top.out, Url("dir/a.bin"))) << top;

  std::string dst = work_.File("a.out");
  ExpectOk(Gw({"get", Url("dir/a.bin"), dst}));
  EXPECT_EQ(ReadFile(dst), data);
  ExpectOk(Gw({"get", Url("empty"), work_.File("empty.out")}));
  EXPECT_TRUE(fs::exists(work_.File("empty.out")));
  EXPECT_EQ(fs::file_size(work_.File("empty.out")), 0u);

  // s3 -> s3, within the bucket and into another one.
  std::string other = NewBucket("cpdst");
  ExpectOk(Gw({"cp", Url("dir/a.bin"), Url("copy.bin")}));
  ExpectOk(Gw({"cp", Url("dir/a.bin"), "s3://" + other + "/x/copy.bin"}));
  EXPECT_EQ(Get(Url("copy.bin")), data);
  EXPECT_EQ(Get("s3://" + other + "/x/copy.bin"), data);

  // local -> s3 and s3 -> local through cp; a folder destination keeps the name.
  ExpectOk(Gw({"cp", src, Url("via-cp.bin")}));
  EXPECT_EQ(Get(Url("via-cp.bin")), data);
  ExpectOk(Gw({"cp", Url("via-cp.bin"), work_.File("via-cp.out")}));
  EXPECT_EQ(ReadFile(work_.File("via-cp.out")), data);
  fs::create_directory(work_.File("folder"));
  ExpectOk(Gw({"cp", Url("via-cp.bin"), work_.File("folder")}));
  EXPECT_EQ(ReadFile(work_.File("folder/via-cp.bin")), data);
}

TEST_F(CliTest, RemoveKeysAndPrefixes) {
  for (const char* k : {"tmp/1", "tmp/2", "tmp/sub/3", "tmpfile", "keep/4"}) Put(k, k);

  ExpectOk(Gw({"rm", Url("tmpfile")}));
  EXPECT_FALSE(Exists("tmpfile"));
  ExpectOk(Gw({"rm", "-r", Url("tmp/")}));
  for (const char* k : {"tmp/1", "tmp/2", "tmp/sub/3"}) EXPECT_FALSE(Exists(k)) << k;
  EXPECT_TRUE(Exists("keep/4"));
  Result ls = Gw({"ls", "-r", "s3://" + bucket_});
  EXPECT_EQ(Lines(ls.out).size(), 1u) << ls;
  EXPECT_TRUE(HasLineEndingWith(ls.out, Url("keep/4"))) << ls;

  std::string line = ExpectOneErrorLine(Gw({"rm", Url("never-was")}));
  EXPECT_TRUE(Contains(line, Url("never-was")));
}

TEST_F(CliTest, StdinMultipartToStdout) {
  const std::string data = RandomBytes(12 * (1 << 20) + 12345, 2);
  Result put =
      Gw({"--part-size", "5MiB", "--multipart-threshold", "5MiB", "put", "-", Url("from-stdin")},
         data);
  ExpectOk(put);
  EXPECT_TRUE(Contains(put.out, "3 parts"));
  Result get = Gw({"get", Url("from-stdin"), "-"});
  ExpectOk(get);
  EXPECT_EQ(get.out.size(), data.size());
  EXPECT_TRUE(get.out == data) << "stdout differs from what went in";
}

TEST_F(CliTest, WrongSecretKey) {
  Put("k", "data");
  auto check = [&](const Result& r) {
    std::string line = ExpectOneErrorLine(r);
    EXPECT_TRUE(Contains(line, "secret key"));
    EXPECT_TRUE(Contains(line, "SignatureDoesNotMatch"));
    EXPECT_FALSE(Contains(line, kWrongSecret));
    EXPECT_FALSE(Contains(line, secret_key_));
  };
  std::string src = work_.File("src");
  WriteFile(src, RandomBytes(6 << 20, 3));
  for (const char* sig : {"v4", "v2"}) {
    SCOPED_TRACE(sig);
    std::vector<std::string> flags{"--endpoint", endpoint_,      "--signature",
                                   sig,          "--secret-key", kWrongSecret};
    auto with = [&](std::vector<std::string> args) {
      args.insert(args.begin(), flags.begin(), flags.end());
      return args;
    };
    check(Run(with({"ls", "s3://" + bucket_}), Creds()));
    check(Run(with({"get", Url("k"), work_.File("got")}), Creds()));
    EXPECT_FALSE(fs::exists(work_.File("got")));
    check(
        Run(with({"--part-size", "5MiB", "--multipart-threshold", "5MiB", "put", src, Url("new")}),
            Creds()));
    EXPECT_FALSE(Exists("new"));
  }
  // The same through the environment.
  Env env = Creds();
  env["AWS_SECRET_ACCESS_KEY"] = kWrongSecret;
  check(Run({"--endpoint", endpoint_, "get", Url("k"), "-"}, env));
}

TEST_F(CliTest, UnknownBucket) {
  std::string b = UniqueBucketName("absent");
  std::string src = work_.File("src");
  WriteFile(src, "x");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"ls", "s3://" + b},
                                             {"get", "s3://" + b + "/k", work_.File("got")},
                                             {"put", src, "s3://" + b + "/k"},
                                             {"rb", "s3://" + b}}) {
    std::string line = ExpectOneErrorLine(Gw(args));
    EXPECT_TRUE(Contains(line, "NoSuchBucket"));
    EXPECT_TRUE(Contains(line, b));
  }
  EXPECT_FALSE(fs::exists(work_.File("got")));
}

TEST_F(CliTest, MissingKey) {
  Put("present", "here");
  TempDir dest;
  std::string fresh = dest.File("fresh"), existing = dest.File("existing");
  WriteFile(existing, "keep me");

  std::string line = ExpectOneErrorLine(Gw({"get", Url("absent"), fresh}));
  EXPECT_TRUE(Contains(line, "NoSuchKey"));
  EXPECT_TRUE(Contains(line, Url("absent")));
  EXPECT_FALSE(fs::exists(fresh));
  ExpectOneErrorLine(Gw({"get", Url("absent"), existing}));
  EXPECT_EQ(ReadFile(existing), "keep me");
  ExpectOneErrorLine(Gw({"get", Url("absent"), "-"}));  // and nothing on stdout
  ExpectOneErrorLine(Gw({"cp", Url("absent"), Url("copy")}));
  EXPECT_FALSE(Exists("copy"));

  // No temporary file left behind next to the destination either.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dest.path())) left.push_back(e.path().string());
  EXPECT_EQ(left, std::vector<std::string>{existing});
}

TEST_F(CliTest, UnreachableEndpoint) {
  std::string src = work_.File("src");
  WriteFile(src, "x");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"ls"},
                                             {"ls", "s3://" + bucket_},
                                             {"get", Url("k"), work_.File("got")},
                                             {"put", src, Url("k")},
                                             {"mb", "s3://" + bucket_ + "-2"}}) {
    std::vector<std::string> full{"--endpoint", kUnreachable};
    full.insert(full.end(), args.begin(), args.end());
    Result r = Run(full, Creds());
    std::string line = ExpectOneErrorLine(r);
    EXPECT_TRUE(Contains(line, "cannot reach the gateway")) << r;
    EXPECT_LT(r.seconds, 5.0) << r;
  }
  EXPECT_FALSE(fs::exists(work_.File("got")));
}

TEST_F(CliTest, MalformedUrl) {
  std::string src = work_.File("src"), got = work_.File("got");
  WriteFile(src, "x");
  for (const auto& args : std::vector<std::vector<std::string>>{{"ls", "s3:/x"},
                                                                {"get", "s3:/x", got},
                                                                {"get", "s3://", got},
                                                                {"put", src, "s3:/x"},
                                                                {"put", src, "s3://"},
                                                                {"cp", src, "s3:/x"},
                                                                {"cp", "s3://", got},
                                                                {"mb", "s3:/x"},
                                                                {"mb", "s3://"},
                                                                {"rb", "s3://"},
                                                                {"rm", "s3:/x"},
                                                                {"rm", "s3://"}}) {
    Result r = Gw(args);
    std::string line = ExpectOneErrorLine(r);
    EXPECT_EQ(r.exit_code, 2) << r;  // bad input
    if (std::find(args.begin(), args.end(), "s3:/x") != args.end()) {
      EXPECT_TRUE(Contains(line, "'s3:/x'"));
    }
  }
  EXPECT_FALSE(fs::exists(got));
}

TEST_F(CliTest, MissingLocalFile) {
  std::string missing = work_.File("no-such-file");
  for (const char* cmd : {"put", "cp"}) {
    std::string line = ExpectOneErrorLine(Gw({cmd, missing, Url("k")}));
    EXPECT_TRUE(Contains(line, missing));
    EXPECT_TRUE(Contains(line, "No such file"));
  }
  EXPECT_FALSE(Exists("k"));
}

TEST_F(CliTest, UnreadableLocalFile) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root, which can read a mode 000 file";
  std::string locked = work_.File("locked");
  WriteFile(locked, "secret stuff");
  fs::permissions(locked, fs::perms::none);
  std::string line = ExpectOneErrorLine(Gw({"put", locked, Url("k")}));
  EXPECT_TRUE(Contains(line, locked));
  EXPECT_TRUE(Contains(line, "Permission denied"));
  EXPECT_FALSE(Exists("k"));
}

TEST_F(CliTest, MissingDestinationFolder) {
  Put("k", "data");
  std::string dst = work_.File("no-such-folder/out");
  for (const char* cmd : {"get", "cp"}) {
    std::string line = ExpectOneErrorLine(Gw({cmd, Url("k"), dst}));
    EXPECT_TRUE(Contains(line, work_.File("no-such-folder")));
  }
  EXPECT_FALSE(fs::exists(work_.File("no-such-folder")));
}

TEST_F(CliTest, EmptyDestinationName) {
  Put("k", "data");
  for (const char* cmd : {"get", "cp"}) {
    Result r = Gw({cmd, Url("k"), ""});
    ExpectOneErrorLine(r);
    EXPECT_EQ(r.exit_code, 2) << r;  // bad input, refused before any download
  }
}

TEST_F(CliTest, ConfigFileAlone) {
  const std::string data = RandomBytes(4096, 4);
  std::string cfg = work_.File("s3cfg"), src = work_.File("src");
  WriteFile(cfg, S3cfg(secret_key_));
  WriteFile(src, data);
  ExpectOk(Run({"--config", cfg, "put", src, Url("k")}));
  Result get = Run({"--config", cfg, "get", Url("k"), "-"});
  ExpectOk(get);
  EXPECT_EQ(get.out, data);

  WriteFile(home_.File(".s3cfg"), S3cfg(secret_key_));  // the default location
  Result ls = Run({"ls", "-r", "s3://" + bucket_});
  ExpectOk(ls);
  EXPECT_TRUE(HasLineEndingWith(ls.out, " 4096  " + Url("k"))) << ls;

  // A config file the user names must exist.
  std::string line = ExpectOneErrorLine(Run({"--config", work_.File("nope"), "ls"}));
  EXPECT_TRUE(Contains(line, work_.File("nope")));
}

TEST_F(CliTest, EnvironmentOverridesConfigFile) {
  Put("k", "data");
  std::string wrong_cfg = work_.File("wrong"), right_cfg = work_.File("right");
  WriteFile(wrong_cfg, S3cfg(kWrongSecret));
  WriteFile(right_cfg, S3cfg(secret_key_));
  Env wrong_env = Creds();
  wrong_env["AWS_SECRET_ACCESS_KEY"] = kWrongSecret;

  Result r = Run({"--config", wrong_cfg, "get", Url("k"), "-"}, Creds());
  ExpectOk(r);
  EXPECT_EQ(r.out, "data");
  std::string line =
      ExpectOneErrorLine(Run({"--config", right_cfg, "get", Url("k"), "-"}, wrong_env));
  EXPECT_TRUE(Contains(line, "SignatureDoesNotMatch"));

  // The same with ~/.s3cfg.
  WriteFile(home_.File(".s3cfg"), S3cfg(kWrongSecret));
  ExpectOk(Run({"ls", "s3://" + bucket_}, Creds()));
  WriteFile(home_.File(".s3cfg"), S3cfg(secret_key_));
  ExpectOneErrorLine(Run({"ls", "s3://" + bucket_}, wrong_env));

  // AWS_ENDPOINT_URL beats host_base.
  std::string host = std::string(kUnreachable).substr(7);
  WriteFile(home_.File(".s3cfg"),
            "[default]\nhost_base = " + host + "\nhost_bucket = " + host + "\nuse_https = False\n");
  Env env = Creds();
  env["AWS_ENDPOINT_URL"] = endpoint_;
  ExpectOk(Run({"ls", "s3://" + bucket_}, env));
}

TEST_F(CliTest, FlagsOverrideEnvironment) {
  Put("k", "data");
  Env wrong_env = Creds();
  wrong_env["AWS_ACCESS_KEY_ID"] = "NOSUCHACCESSKEY00000";
  wrong_env["AWS_SECRET_ACCESS_KEY"] = kWrongSecret;
  std::vector<std::string> right{"--endpoint", endpoint_,      "--access-key",
                                 access_key_,  "--secret-key", secret_key_};
  std::vector<std::string> args = right;
  args.insert(args.end(), {"get", Url("k"), "-"});
  Result r = Run(args, wrong_env);
  ExpectOk(r);
  EXPECT_EQ(r.out, "data");

  std::string line = ExpectOneErrorLine(
      Run({"--endpoint", endpoint_, "--secret-key", kWrongSecret, "get", Url("k"), "-"}, Creds()));
  EXPECT_TRUE(Contains(line, "SignatureDoesNotMatch"));

  // --endpoint beats AWS_ENDPOINT_URL, both ways round.
  Env env = Creds();
  env["AWS_ENDPOINT_URL"] = kUnreachable;
  ExpectOk(Run({"--endpoint", endpoint_, "ls", "s3://" + bucket_}, env));
  env["AWS_ENDPOINT_URL"] = endpoint_;
  line = ExpectOneErrorLine(Run({"--endpoint", kUnreachable, "ls", "s3://" + bucket_}, env));
  EXPECT_TRUE(Contains(line, "cannot reach"));
}

TEST_F(CliTest, SignatureV2) {
  // Multipart too: SigV2 signs the uploadId and partNumber sub-resources.
  const std::string data = RandomBytes(11 << 20, 5);
  Result put = Gw({"--signature", "v2", "--part-size", "5MiB", "--multipart-threshold", "5MiB",
                   "put", "-", Url("v2")},
                  data);
  ExpectOk(put);
  EXPECT_TRUE(Contains(put.out, "3 parts"));
  Result get = Gw({"--signature", "v2", "get", Url("v2"), "-"});
  ExpectOk(get);
  EXPECT_TRUE(get.out == data) << "v2 download differs";
  Result ls = Gw({"--signature", "v2", "ls", "-r", "s3://" + bucket_});
  EXPECT_TRUE(HasLineEndingWith(ls.out, Url("v2"))) << ls;

  std::string cfg = work_.File("s3cfg");
  WriteFile(cfg, S3cfg(secret_key_, "signature_v2 = True\n"));
  ExpectOk(Run({"--config", cfg, "put", cfg, Url("from-cfg")}));
  Result got = Run({"--config", cfg, "get", Url("from-cfg"), "-"});
  ExpectOk(got);
  EXPECT_EQ(got.out, ReadFile(cfg));

  std::string line = ExpectOneErrorLine(Gw({"--signature", "v3", "ls"}));
  EXPECT_TRUE(Contains(line, "v3"));
}

TEST_F(CliTest, MissingCredentials) {
  auto check = [](const Result& r) {
    std::string line = ExpectOneErrorLine(r);
    EXPECT_TRUE(Contains(line, "no credentials"));
  };
  check(Run({"--endpoint", endpoint_, "ls"}));
  check(Run({"--endpoint", endpoint_, "--access-key", access_key_, "ls"}));
  check(Run({"--endpoint", endpoint_, "ls"}, {{"AWS_ACCESS_KEY_ID", access_key_}}));
  WriteFile(home_.File(".s3cfg"), "[default]\naccess_key = " + access_key_ + "\n");
  check(Run({"--endpoint", endpoint_, "ls"}));
}

// s3cmd's host_bucket = %(bucket)s.HOST against an IP address: requests go
// path-style, as s3cmd's do (issue 14).
TEST_F(CliTest, HostBucketTemplateOnAnIpAddress) {
  std::string host = endpoint_.substr(endpoint_.find("://") + 3);
  for (const char* sig : {"False", "True"}) {
    SCOPED_TRACE(std::string("signature_v2 = ") + sig);
    std::string cfg = work_.File("s3cfg");
    WriteFile(cfg, S3cfg(secret_key_,
                         "host_bucket = %(bucket)s." + host + "\nsignature_v2 = " + sig + "\n"));
    ExpectOk(Run({"--config", cfg, "put", cfg, Url("via-host-bucket")}));
    Result get = Run({"--config", cfg, "get", Url("via-host-bucket"), "-"});
    ExpectOk(get);
    EXPECT_EQ(get.out, ReadFile(cfg));
    Result ls = Run({"--config", cfg, "ls", "s3://" + bucket_});
    EXPECT_TRUE(HasLineEndingWith(ls.out, Url("via-host-bucket"))) << ls;

    // db_wal is no host name either. This gateway keeps S3's strict bucket
    // names and refuses it: its answer shows the request reached it.
    std::string wal = UniqueBucketName("db-wal");
    std::replace(wal.begin(), wal.end(), '-', '_');
    std::string line = ExpectOneErrorLine(Run({"--config", cfg, "mb", "s3://" + wal}));
    EXPECT_TRUE(Contains(line, "InvalidBucketName"));
  }
}

// Options given after the command's name take one value each: the
// command's arguments stay its own.
TEST_F(CliTest, RepeatableOptionsTakeOneValueEach) {
  std::string src = work_.File("tree");
  fs::create_directories(src + "/sub");
  WriteFile(src + "/keep.txt", "keep");
  WriteFile(src + "/sub/skip.tmp", "skip");
  WriteFile(src + "/sub/also.tmp", "skip");
  Result sync = Run({"sync", "--no-index", "--endpoint", endpoint_, "--exclude", "*.tmp",
                     "--endpoint", endpoint_, "--exclude", "also*", src, Url("tree")},
                    Creds());
  ExpectOk(sync);
  EXPECT_TRUE(Exists("tree/keep.txt"));
  EXPECT_FALSE(Exists("tree/sub/skip.tmp"));
  EXPECT_FALSE(Exists("tree/sub/also.tmp"));

  ExpectOk(Run({"put", "--endpoint", endpoint_, src + "/keep.txt", Url("put.txt")}, Creds()));
  EXPECT_TRUE(Exists("put.txt"));
  // A second value after one occurrence is an argument, not another exclude.
  Result extra =
      Run({"sync", "--no-index", src, Url("tree"), "--exclude", "*.tmp", "also*"}, Creds());
  EXPECT_EQ(extra.exit_code, 2) << extra;
  EXPECT_TRUE(Contains(ExpectOneErrorLine(extra), "also*"));
}

// The reader of `gwsync get ... - | head` may stop early; that is no error.
TEST_F(CliTest, GetIntoAPipeClosedEarly) {
  const std::string data = RandomBytes(8 << 20, 6);
  ExpectOk(Gw({"put", "-", Url("big")}, data));
  Result r = Shell("set -o pipefail; \"$GWSYNC\" --endpoint " + endpoint_ + " get " + Url("big") +
                       " - | head -c 10",
                   Creds());
  EXPECT_EQ(r.err, "") << r;
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 128 + SIGPIPE) << r;
  EXPECT_EQ(r.out, data.substr(0, 10));

  // A listing longer than the pipe holds, cut short the same way.
  std::vector<std::future<StatusOr<std::string>>> puts;
  const std::string long_name(200, 'k');
  for (int i = 0; i < 400; ++i) {
    auto done = std::make_shared<std::promise<StatusOr<std::string>>>();
    puts.push_back(done->get_future());
    client().PutObject(bucket_, "many/" + long_name + std::to_string(i),
                       std::make_shared<http::StringSource>("x"), {},
                       [done](StatusOr<std::string> etag) { done->set_value(std::move(etag)); });
  }
  for (auto& p : puts) ASSERT_TRUE(p.get().ok());
  Result ls = Shell("set -o pipefail; \"$GWSYNC\" --endpoint " + endpoint_ + " ls -r s3://" +
                        bucket_ + "/many/ | head -n 1",
                    Creds());
  EXPECT_EQ(ls.err, "") << ls;
  EXPECT_TRUE(ls.exit_code == 0 || ls.exit_code == 128 + SIGPIPE) << ls;
  EXPECT_EQ(Lines(ls.out).size(), 1u) << ls;
}

}  // namespace
}  // namespace gwsync::e2e
