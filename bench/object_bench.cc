// The client's whole per-object path, PutObject and GetObject of 4 KiB with
// 32 in flight through s3::Client and CurlTransport, against a stand-in
// HTTP/1.1 keep-alive server (stand_in.h), so the process CPU counted here
// (getrusage) is the client's alone: the feeding thread, the curl loop and
// the completion callbacks.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "http/bodies.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "stand_in.h"
#include "util/slots.h"

namespace gwsync {
namespace {

constexpr size_t kObjectSize = 4096;
constexpr int kInFlight = 32;

int g_port = 0;

using bench::ProcessCpuSeconds;

// Feeds `issue` from this thread, at most kInFlight at once, as the sync's
// planner does; a completion frees a slot from the curl loop's thread.
template <typename Issue>
void RunObjects(benchmark::State& state, Issue issue) {
  auto transport = http::CurlTransport::Create();
  if (!transport.ok()) {
    state.SkipWithError(transport.status().message().c_str());
    return;
  }
  s3::Client client(transport->get(), bench::StandInClient(g_port));
  // The sync's slots (std::counting_semaphore would spin in sched_yield
  // before it sleeps, and count its spinning as the client's).
  util::Slots slots(kInFlight);
  std::atomic<int64_t> failed{0};
  auto release = [&](bool ok) {
    if (!ok) failed.fetch_add(1, std::memory_order_relaxed);
    slots.Release();
  };
  // Warm up: connections opened, handles made.
  for (int i = 0; i < 2 * kInFlight; ++i) {
    slots.Acquire();
    issue(client, i, release);
  }
  for (int i = 0; i < kInFlight; ++i) slots.Acquire();
  for (int i = 0; i < kInFlight; ++i) slots.Release();

  rusage before, after;
  double cpu0 = ProcessCpuSeconds(&before);
  int64_t n = 0;
  for (auto _ : state) {
    slots.Acquire();
    issue(client, n++, release);
  }
  for (int i = 0; i < kInFlight; ++i) slots.Acquire();
  double cpu = ProcessCpuSeconds(&after) - cpu0;
  if (failed.load() > 0) state.SkipWithError("requests failed");
  double per = static_cast<double>(std::max<int64_t>(n, 1));
  state.counters["req/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["cpu_us/req"] = cpu * 1e6 / per;
  state.counters["ctxsw/req"] =
      static_cast<double>(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) /
      per;
  // Before the client and the slots go: the last completions may still be
  // running on the loop after their Release.
  (*transport)->Shutdown(std::chrono::milliseconds(0));
}

std::string Key(int64_t i) {
  return "bench/d" + std::to_string(i % 100) + "/f" + std::to_string(i);
}

void BM_PutObject4K(benchmark::State& state) {
  const std::string data(kObjectSize, 'x');
  RunObjects(state, [&](const s3::Client& client, int64_t i, auto& release) {
    client.PutObject("bucket", Key(i), std::make_shared<http::StringSource>(data), {},
                     [&release](StatusOr<std::string> etag) { release(etag.ok()); });
  });
}

void BM_GetObject4K(benchmark::State& state) {
  RunObjects(state, [](const s3::Client& client, int64_t i, auto& release) {
    s3::GetOptions options;
    options.expected_size = kObjectSize;
    client.GetObject("bucket", Key(i), options, std::make_shared<http::StringSink>(),
                     [&release](StatusOr<s3::ObjectHead> head) { release(head.ok()); });
  });
}

BENCHMARK(BM_PutObject4K)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GetObject4K)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gwsync

int main(int argc, char** argv) {
  gwsync::g_port = gwsync::bench::StartStandIn(gwsync::kObjectSize, 0).port;  // before any thread
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
