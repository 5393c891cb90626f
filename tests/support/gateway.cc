#include "support/gateway.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "transfer/bulk.h"

namespace gwsync::testing {
namespace {

std::vector<std::string> Split(const char* s) {
  std::vector<std::string> out;
  if (!s) return out;
  std::istringstream in(s);
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

}  // namespace

const TestGateway& TestGateway::Get() {
  static const TestGateway* gw = [] {
    auto* g = new TestGateway();
    g->endpoints = Split(std::getenv("GWSYNC_TEST_ENDPOINTS"));
    g->admin_sockets = Split(std::getenv("GWSYNC_TEST_ASOKS"));
    const char* ak = std::getenv("GWSYNC_TEST_ACCESS_KEY");
    const char* sk = std::getenv("GWSYNC_TEST_SECRET_KEY");
    g->access_key = ak ? ak : "";
    g->secret_key = sk ? sk : "";
    return g;
  }();
  if (gw->endpoints.empty() || gw->access_key.empty()) {
    ADD_FAILURE() << "no test gateway: start one with tools/gateway-start.sh and source its env "
                     "file (tools/test.sh does both)";
  }
  return *gw;
}

s3::ClientOptions TestGateway::Options(size_t endpoint, s3::SignatureVersion sig) const {
  s3::ClientOptions o;
  auto ep = s3::ParseEndpoint(endpoints.at(endpoint));
  EXPECT_TRUE(ep.ok()) << ep.status().ToString();
  o.endpoint = *ep;
  o.credentials = {access_key, secret_key, ""};
  o.signature = sig;
  return o;
}

std::string UniqueBucketName(const std::string& what) {
  static std::atomic<int> counter{0};
  std::string name =
      "gwt-" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  for (char& c : name) {
    if (c == '_' || c == '/') c = '-';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name.substr(0, 63);
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&out[i], &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gwsync-test-XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

void GatewayTest::SetUp() {
  const TestGateway& gw = TestGateway::Get();
  ASSERT_FALSE(gw.endpoints.empty());
  auto transport = http::CurlTransport::Create();
  ASSERT_TRUE(transport.ok());
  transport_ = std::move(*transport);
  client_ = std::make_unique<s3::Client>(transport_.get(), gw.Options());
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  bucket_ = NewBucket(info->name());
}

std::string GatewayTest::NewBucket(const std::string& what) {
  std::string name = UniqueBucketName(what);
  Status s = s3::WaitStatus([&](auto done) { client_->CreateBucket(name, done); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  buckets_.push_back(name);
  return name;
}

void GatewayTest::TearDown() {
  if (client_) {
    for (const auto& b : buckets_) {
      transfer::DeletePrefix(*client_, b, "", true, nullptr).status().IgnoreError();
      s3::WaitStatus([&](auto done) { client_->DeleteBucket(b, done); }).IgnoreError();
    }
  }
  // Before the client goes: what a test left in flight completes into it.
  if (transport_) transport_->Shutdown(std::chrono::milliseconds(0));
}

}  // namespace gwsync::testing
