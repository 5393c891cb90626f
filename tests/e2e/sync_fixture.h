// The fixture of the `gwsync sync` end-to-end tests: the binary
// ($GWSYNC_BIN) against the real RGW, each run with a scratch HOME, a clean
// environment and a private --index, and helpers that look at what a user
// sees (files on disk, objects in the bucket, the report). Main thread only.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_gwsync.h"
#include "http/bodies.h"
#include "support/gateway.h"

namespace gwsync::e2e {

using gwsync::testing::GatewayTest;
using gwsync::testing::RandomBytes;
using gwsync::testing::ReadFile;
using gwsync::testing::TempDir;
using gwsync::testing::TestGateway;
using gwsync::testing::UniqueBucketName;
using gwsync::testing::WriteFile;
using json = nlohmann::json;
namespace fs = std::filesystem;

// key -> contents, for a folder or a bucket.
using Tree = std::map<std::string, std::string>;

inline constexpr char kUnreachable[] = "http://127.0.0.1:1";
inline constexpr char kWrongSecret[] = "NotTheSecretKey0123456789abcdefghijklmnop";
inline constexpr uint64_t kMiB = 1 << 20;

// gwsync's temporary download names: ".NAME.gwsync-XXXXXX".
inline bool IsTempName(const std::string& name) {
  size_t at = name.rfind(".gwsync-");
  return !name.empty() && name[0] == '.' && at != std::string::npos && name.size() == at + 8 + 6;
}

inline void WriteTree(const std::string& root, const Tree& tree) {
  for (const auto& [key, data] : tree) {
    fs::path p = fs::path(root) / key;
    fs::create_directories(p.parent_path());
    WriteFile(p.string(), data);
  }
}

// Every regular file under `root` (temporary names included, so a leftover
// shows up as a difference), keyed by its path relative to `root`; not the
// run manifests in the reserved `.gwsync/` folder (ManifestFiles has them).
inline Tree ReadTree(const std::string& root) {
  Tree out;
  if (!fs::exists(root)) return out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it.depth() == 0 && it->path().filename() == ".gwsync") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out[fs::relative(it->path(), root).string()] = ReadFile(it->path());
  }
  return out;
}

// Paths (relative to root) of gwsync's temporary files under root.
inline std::vector<std::string> TempFiles(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (IsTempName(it->path().filename().string())) {
      out.push_back(fs::relative(it->path(), root).string());
    }
  }
  return out;
}

inline Tree Without(Tree t, const std::vector<std::string>& keys) {
  for (const auto& k : keys) t.erase(k);
  return t;
}

// What a test compares, printed as sizes: a diff of megabytes of binary
// helps no one.
inline ::testing::AssertionResult SameTree(const Tree& got, const Tree& want) {
  if (got == want) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure();
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      r << "\n  missing: " << k;
    } else if (it->second != v) {
      r << "\n  differs: " << k << " (" << it->second.size() << " bytes, want " << v.size() << ")";
    }
  }
  for (const auto& [k, v] : got) {
    if (!want.count(k)) r << "\n  unexpected: " << k << " (" << v.size() << " bytes)";
  }
  return r;
}

inline struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st;
}

inline void SetMtime(const std::string& path, int64_t sec, int64_t nsec) {
  struct timespec times[2] = {{0, UTIME_OMIT}, {sec, nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

inline uint64_t JsonCount(const json& report, const std::string& action) {
  if (!report.contains("actions") || !report["actions"].contains(action)) return 0;
  return report["actions"][action]["objects"].get<uint64_t>();
}

// "upload                       3 objects  12 B" -> 3; 0 when there is no
// such line in the text summary.
inline uint64_t TextCount(const std::string& out, const std::string& action) {
  for (const auto& line : Lines(out)) {
    if (line.rfind(action + " ", 0) != 0) continue;
    std::istringstream in(line.substr(action.size()));
    uint64_t n = 0;
    std::string word;
    if (in >> n >> word && word == "objects") return n;
  }
  return 0;
}

class SyncCliTest : public GatewayTest {
 protected:
  void SetUp() override {
    bin_ = GwsyncBin();
    ASSERT_FALSE(bin_.empty());
    GatewayTest::SetUp();
    const TestGateway& gw = TestGateway::Get();
    endpoint_ = gw.endpoints.at(0);
    last_endpoint_ = gw.endpoints.back();
    access_key_ = gw.access_key;
    secret_key_ = gw.secret_key;
    const char* ak = std::getenv("GWSYNC_TEST_OTHER_ACCESS_KEY");
    const char* sk = std::getenv("GWSYNC_TEST_OTHER_SECRET_KEY");
    ASSERT_TRUE(ak && *ak && sk && *sk) << "the gateway env lacks the second user's keys";
    other_access_ = ak;
    other_secret_ = sk;
    s3::ClientOptions o = gw.Options(gw.endpoints.size() - 1);
    o.credentials = {other_access_, other_secret_, ""};
    other_client_ = MakeClient(o);
    index_ = index_dir_.File("index");
  }

  // Buckets the test made through gwsync go the way a user removes them.
  void TearDown() override {
    for (const auto& b : made_buckets_) {
      Gw({"rb", "--force", "s3://" + b});
    }
    for (const auto& b : other_buckets_) {
      Run({"--endpoint", last_endpoint_, "rb", "--force", "s3://" + b}, OtherCreds());
    }
    GatewayTest::TearDown();
  }

  // Runs gwsync with only HOME (a scratch folder) and PATH set, plus `env`.
  // No run, failed or not, may ever print a secret key.
  Result Run(const std::vector<std::string>& args, Env env = {}) {
    env.try_emplace("HOME", home_.path());
    env.try_emplace("PATH", "/usr/bin:/bin");
    Result r = e2e::Run(bin_, args, env, "");
    ExpectNoSecrets(r.command, r.out + r.err);
    return r;
  }
  void ExpectNoSecrets(const std::string& what, const std::string& text) {
    for (const std::string& secret : {secret_key_, other_secret_, std::string(kWrongSecret)}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << "`" << what << "` printed a secret key:\n"
                                                      << text;
    }
  }
  Env Creds() const {
    return {{"AWS_ACCESS_KEY_ID", access_key_}, {"AWS_SECRET_ACCESS_KEY", secret_key_}};
  }
  Env OtherCreds() const {
    return {{"AWS_ACCESS_KEY_ID", other_access_}, {"AWS_SECRET_ACCESS_KEY", other_secret_}};
  }
  // gwsync against the test gateway with the first user's keys.
  Result Gw(std::vector<std::string> args) {
    args.insert(args.begin(), {"--endpoint", endpoint_});
    return Run(args, Creds());
  }
  // `gwsync sync SRC DST [flags]` with this test's private index.
  Result Sync(const std::string& src, const std::string& dst, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"sync", src, dst, "--index", index_};
    args.insert(args.end(), flags.begin(), flags.end());
    return Gw(args);
  }
  // The --json report on stdout of a run.
  json Report(const Result& r) {
    json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON: " << r;
    EXPECT_TRUE(j.is_object()) << r;
    return j.is_object() ? j : json::object();
  }

  // A bucket name nobody uses yet; removed at TearDown (with `gwsync rb
  // --force`) if a run creates it.
  std::string FreshBucket(const std::string& what) {
    made_buckets_.push_back(UniqueBucketName(what));
    return made_buckets_.back();
  }
  std::string FreshOtherBucket(const std::string& what) {
    other_buckets_.push_back(UniqueBucketName(what));
    return other_buckets_.back();
  }

  static bool BucketExists(const s3::Client& c, const std::string& bucket) {
    Status s = s3::WaitStatus([&](auto done) { c.HeadBucket(bucket, done); });
    EXPECT_TRUE(s.ok() || s.code() == StatusCode::kNotFound) << s.ToString();
    return s.ok();
  }
  static void Put(const s3::Client& c, const std::string& bucket, const std::string& key,
                  const std::string& data, const std::map<std::string, std::string>& meta = {}) {
    s3::PutOptions o;
    o.metadata = meta;
    auto etag = s3::Wait<std::string>([&](auto done) {
      c.PutObject(bucket, key, std::make_shared<http::StringSource>(data), o, done);
    });
    ASSERT_TRUE(etag.ok()) << key << ": " << etag.status().ToString();
  }
  void PutTree(const s3::Client& c, const std::string& bucket, const Tree& tree,
               const std::string& prefix = "") {
    for (const auto& [key, data] : tree) Put(c, bucket, prefix + key, data);
  }
  // What a bucket holds under `prefix`, read with the S3 client.
  static Tree BucketTree(const s3::Client& c, const std::string& bucket,
                         const std::string& prefix = "") {
    Tree out;
    s3::ListOptions o;
    o.prefix = prefix;
    for (;;) {
      auto page = s3::Wait<s3::ListPage>([&](auto done) { c.ListObjects(bucket, o, done); });
      EXPECT_TRUE(page.ok()) << bucket << ": " << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& obj : page->objects) {
        auto sink = std::make_shared<http::StringSink>();
        auto got = s3::Wait<s3::ObjectHead>(
            [&](auto done) { c.GetObject(bucket, obj.key, {}, sink, done); });
        EXPECT_TRUE(got.ok()) << obj.key << ": " << got.status().ToString();
        out[obj.key.substr(prefix.size())] = sink->data();
      }
      if (!page->truncated) break;
      o.continuation = page->next_token;
    }
    return out;
  }
  // `gwsync ls -r URL` as key -> size.
  std::map<std::string, uint64_t> ListKeys(const std::string& url) {
    Result r = Gw({"ls", "-r", url});
    ExpectOk(r);
    std::map<std::string, uint64_t> out;
    for (const auto& line : Lines(r.out)) {
      size_t at = line.find("  s3://");
      if (at == std::string::npos) continue;
      std::istringstream in(line.substr(0, at));
      std::string date;
      uint64_t size = 0;
      in >> date >> size;
      out[line.substr(at + 2)] = size;
    }
    return out;
  }
  std::string Host() const { return endpoint_.substr(endpoint_.find("://") + 3); }

  std::string bin_, endpoint_, last_endpoint_, access_key_, secret_key_, other_access_,
      other_secret_, index_;
  std::unique_ptr<s3::Client> other_client_;
  TempDir home_, work_, index_dir_;

 private:
  std::vector<std::string> made_buckets_, other_buckets_;
};

}  // namespace gwsync::e2e
