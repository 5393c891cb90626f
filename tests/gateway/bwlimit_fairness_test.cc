// --bwlimit slows every transfer evenly: under one byte budget, downloads
// started together progress together and finish together, instead of some
// running at full speed while others starve.
#include <chrono>
#include <latch>
#include <mutex>

#include "hash/hash.h"
#include "http/bodies.h"
#include "support/gateway.h"

namespace gwsync::http {
namespace {

using Clock = std::chrono::steady_clock;
using gwsync::testing::GatewayTest;
using gwsync::testing::RandomBytes;
using gwsync::testing::TestGateway;

constexpr size_t kMiB = 1 << 20;

class BwlimitFairnessTest : public GatewayTest {};

TEST_F(BwlimitFairnessTest, ParallelDownloadsShareTheLimitEvenly) {
  constexpr int kObjects = 4;
  constexpr size_t kSize = 3 * kMiB;
  constexpr uint64_t kLimit = 4 * kMiB;  // bytes/s: the run takes about 3 s
  for (int i = 0; i < kObjects; ++i) {
    std::string data = RandomBytes(kSize, i);
    s3::PutOptions o;
    o.content_md5 = hash::Base64(hash::Md5(data));
    auto etag = s3::Wait<std::string>([&](auto done) {
      client().PutObject(bucket_, "o" + std::to_string(i), std::make_shared<StringSource>(data), o,
                         done);
    });
    ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  }

  TransportOptions limited;
  limited.bytes_per_second = kLimit;
  auto transport = CurlTransport::Create(limited);
  ASSERT_TRUE(transport.ok());
  s3::Client slow(transport->get(), TestGateway::Get().Options());

  std::mutex mu;
  std::vector<double> finished;  // seconds after the start, per download
  std::vector<std::string> failures;
  std::latch all(kObjects);
  auto start = Clock::now();
  for (int i = 0; i < kObjects; ++i) {
    auto sink = std::make_shared<StringSink>();
    slow.GetObject(
        bucket_, "o" + std::to_string(i), {}, sink, [&, sink, i](StatusOr<s3::ObjectHead> head) {
          std::lock_guard lock(mu);
          if (!head.ok()) {
            failures.push_back(head.status().ToString());
          } else if (sink->data() != RandomBytes(kSize, i)) {
            failures.push_back("object " + std::to_string(i) + ": bytes differ");
          }
          finished.push_back(std::chrono::duration<double>(Clock::now() - start).count());
          all.count_down();
        });
  }
  all.wait();
  ASSERT_TRUE(failures.empty()) << failures.front();
  auto [first, last] = std::minmax_element(finished.begin(), finished.end());
  // Starved transfers would leave the first done at a quarter of the run.
  EXPECT_GE(*first, 0.8 * *last) << "first done after " << *first << " s, last after " << *last;
  // And the limit holds over the whole run.
  double rate = kObjects * kSize / *last;
  EXPECT_LE(rate, 1.05 * kLimit) << rate / kMiB << " MiB/s";
  EXPECT_GE(rate, 0.9 * kLimit) << rate / kMiB << " MiB/s";
}

}  // namespace
}  // namespace gwsync::http
