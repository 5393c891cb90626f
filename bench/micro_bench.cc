// Micro benchmarks of the CPU work the client does per request: signing,
// body digests, parsing a listing page and encoding a key. Inputs are built
// once, outside the timed loops, and sized like real traffic.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "hash/hash.h"
#include "s3/signer.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace gwsync {
namespace {

// A fixed instant, so every iteration signs the same texts.
const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::from_time_t(1735732800);  // 2025-01-01T12:00:00Z

constexpr std::string_view kKey60 = "docker/registry/v2/repositories/library/nginx/_layers/ab.tar";
static_assert(kKey60.size() == 60);

s3::Credentials TestCredentials() {
  return {.access_key = "AKIAIOSFODNN7EXAMPLE",
          .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          .session_token = ""};
}

// A streamed PUT as the client builds it: path-style, five caller headers,
// UNSIGNED-PAYLOAD.
s3::SignableRequest PutRequest() {
  s3::SignableRequest req;
  req.method = "PUT";
  req.host = "rgw.example.internal:7480";
  req.encoded_path = "/backups/" + s3::UriEncode(kKey60, /*encode_slash=*/false);
  req.headers = {
      {"Content-Type", "application/octet-stream"}, {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
      {"x-amz-meta-mtime", "1735732800.123456789"}, {"x-amz-meta-mode", "0644"},
      {"x-amz-storage-class", "STANDARD"},
  };
  req.payload_hash = std::string(s3::kUnsignedPayload);
  return req;
}

// The copy of the unsigned request is timed too: the client signs a fresh
// request each time, and SigV2 must not re-sign its own Date.
void BM_SignV4(benchmark::State& state) {
  const s3::SignableRequest unsigned_req = PutRequest();
  const s3::Credentials creds = TestCredentials();
  const s3::V4Scope scope;
  for (auto _ : state) {
    s3::SignableRequest req = unsigned_req;
    s3::V4Trace trace = s3::SignV4(&req, creds, scope, kNow);
    benchmark::DoNotOptimize(trace);
    benchmark::DoNotOptimize(req);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignV4);

void BM_SignV2(benchmark::State& state) {
  const s3::SignableRequest unsigned_req = PutRequest();
  const s3::Credentials creds = TestCredentials();
  for (auto _ : state) {
    s3::SignableRequest req = unsigned_req;
    std::string string_to_sign = s3::SignV2(&req, creds, kNow);
    benchmark::DoNotOptimize(string_to_sign);
    benchmark::DoNotOptimize(req);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignV2);

// One HMAC as SigV4 uses it (five per signature: four derive the signing key).
void BM_HmacSha256(benchmark::State& state) {
  const std::string key(32, 'k');
  const std::string message(64, 'm');
  for (auto _ : state) {
    hash::Sha256Digest mac = hash::HmacSha256(key, message);
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HmacSha256);

std::string Buffer(int64_t size) {
  std::string data(static_cast<size_t>(size), '\0');
  uint32_t x = 2463534242u;  // xorshift: cheap bytes that do not compress
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return data;
}

void BM_Md5(benchmark::State& state) {
  const std::string data = Buffer(state.range(0));
  for (auto _ : state) {
    hash::Md5Digest digest = hash::Md5(data);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Md5)->Arg(4 << 10)->Arg(1 << 20);

// Xxh3Hex is the 128-bit digest as the engine stores it (hex included).
void BM_Xxh3_128(benchmark::State& state) {
  const std::string data = Buffer(state.range(0));
  for (auto _ : state) {
    std::string digest = hash::Xxh3Hex(data);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Xxh3_128)->Arg(4 << 10)->Arg(1 << 20);

void BM_Sha256(benchmark::State& state) {
  const std::string data = Buffer(state.range(0));
  for (auto _ : state) {
    hash::Sha256Digest digest = hash::Sha256(data);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(4 << 10);

// A full ListObjectsV2 page (FetchOwner, EncodingType url) of registry blobs.
std::string ListPageXml(int keys) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>registry</Name><Prefix>docker/registry/v2/blobs/</Prefix>"
      "<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
      "<IsTruncated>true</IsTruncated><KeyCount>1000</KeyCount>"
      "<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwN=</"
      "NextContinuationToken>";
  char hex[65];
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < keys; ++i) {
    for (int j = 0; j < 64; ++j) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      hex[j] = "0123456789abcdef"[(x >> 60) & 0xF];
    }
    hex[64] = '\0';
    std::string digest(hex, 64);
    char size[24];
    std::snprintf(size, sizeof(size), "%llu", static_cast<unsigned long long>(x % 50000000));
    xml += "<Contents><Key>docker/registry/v2/blobs/sha256/" + digest.substr(0, 2) + "/" + digest +
           "/data</Key><LastModified>2024-11-05T09:41:27.000Z</LastModified>"
           "<ETag>&quot;" +
           digest.substr(0, 32) + "&quot;</ETag><Size>" + size +
           "</Size><Owner><ID>registry-svc</ID><DisplayName>Registry Service</DisplayName>"
           "</Owner><StorageClass>STANDARD</StorageClass></Contents>";
  }
  xml += "</ListBucketResult>";
  return xml;
}

void BM_ParseListPage(benchmark::State& state) {
  constexpr int kKeys = 1000;
  const std::string body = ListPageXml(kKeys);
  {
    auto page = s3::xml::ParseListObjects(body);
    if (!page.ok() || page->objects.size() != kKeys) {
      state.SkipWithError("the listing page does not parse to 1000 keys");
      return;
    }
  }
  for (auto _ : state) {
    auto page = s3::xml::ParseListObjects(body);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ParseListPage);

// 100 bytes: spaces, accents, an en dash and a CJK name among plain ASCII.
constexpr std::string_view kUnicodeKey =
    "photos/2024 summer holiday/Z\u00fcrich caf\u00e9/IMG 0001 \u2013 copie (12) "
    "\u65c5\u884c/final version 03 edit 2.jpeg";
static_assert(kUnicodeKey.size() == 100);

void BM_UriEncode(benchmark::State& state) {
  for (auto _ : state) {
    std::string encoded = s3::UriEncode(kUnicodeKey, /*encode_slash=*/false);
    benchmark::DoNotOptimize(encoded);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kUnicodeKey.size()));
}
BENCHMARK(BM_UriEncode);

}  // namespace
}  // namespace gwsync

BENCHMARK_MAIN();
