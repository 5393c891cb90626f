// The sync's whole per-object path through the real flow graph (RunSync:
// planner, limiter, prepare, transfer over the curl loop, commit), against
// the stand-in gateway (stand_in.h), without an index: objects/s, client CPU
// and context switches per object. Small objects show the per-object cost
// of the machinery, large ones the bytes path (MD5 of every byte both ways,
// ranged GETs down).
//
// Run: build/bench/gwsync_sync_bench   (one iteration is one sync)
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "http/event_loop.h"
#include "s3/client.h"
#include "stand_in.h"
#include "sync/sync.h"

namespace gwsync {
namespace {

namespace fs = std::filesystem;

struct Shape {
  size_t size;
  uint64_t objects;
};
constexpr Shape kSmall{4096, 2000};
constexpr Shape kLarge{64 << 20, 4};

int g_small_port = 0, g_large_port = 0;

std::string Scratch(const std::string& name) {
  std::string dir = (fs::temp_directory_path() / ("gwsync-sync-bench-" + name)).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// `reset` runs before each sync, outside the time and the CPU counted.
template <typename Run>
void Measure(
    benchmark::State& state, const Shape& shape, int port, Run run,
    const std::function<void()>& reset = [] {}) {
  auto transport = http::CurlTransport::Create();
  if (!transport.ok()) return state.SkipWithError(transport.status().message().c_str());
  s3::Client client(transport->get(), bench::StandInClient(port));
  sync::SyncOptions o;
  o.index = nullptr;
  o.concurrency = 32;
  o.manifest.folder = false;
  o.bucket_settings = false;
  o.transfer.multipart_threshold = 1ull << 30;  // the stand-in answers single PUTs
  double cpu = 0, ctxsw = 0;
  uint64_t objects = 0;
  for (auto _ : state) {
    state.PauseTiming();
    reset();
    state.ResumeTiming();
    rusage before, after;
    double cpu0 = bench::ProcessCpuSeconds(&before);
    auto report = run(client, o);
    cpu += bench::ProcessCpuSeconds(&after) - cpu0;
    ctxsw +=
        static_cast<double>(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw);
    if (!report.ok() || report->error_count > 0) {
      state.SkipWithError(report.ok() ? "the sync had errors" : report.status().message().c_str());
      break;
    }
    objects += shape.objects;
  }
  const double n = static_cast<double>(std::max<uint64_t>(objects, 1));
  state.counters["objects/s"] =
      benchmark::Counter(static_cast<double>(objects), benchmark::Counter::kIsRate);
  state.counters["MiB/s"] = benchmark::Counter(
      static_cast<double>(objects * shape.size) / (1 << 20), benchmark::Counter::kIsRate);
  state.counters["cpu_us/object"] = cpu * 1e6 / n;
  state.counters["ctxsw/object"] = ctxsw / n;
  (*transport)->Shutdown(std::chrono::milliseconds(0));
}

sync::Location Folder(const std::string& path) {
  sync::Location l;
  l.kind = sync::Location::Kind::kLocal;
  l.path = path;
  return l;
}
sync::Location Bucket(const s3::Client& client, const std::string& bucket) {
  sync::Location l;
  l.kind = sync::Location::Kind::kRemote;
  l.client = &client;
  l.bucket = bucket;
  l.remote_id = "bench";
  return l;
}

void Upload(benchmark::State& state, const Shape& shape, int port) {
  const std::string src = Scratch("up");
  const std::string data(shape.size, 'x');
  for (uint64_t i = 0; i < shape.objects; ++i) {
    std::ofstream(src + "/f" + std::to_string(i), std::ios::binary) << data;
  }
  Measure(state, shape, port, [&](const s3::Client& client, const sync::SyncOptions& o) {
    return sync::RunSync(Folder(src), Bucket(client, "up"), o);
  });
  fs::remove_all(src);
}

void Download(benchmark::State& state, const Shape& shape, int port) {
  const std::string dst = Scratch("down");
  Measure(
      state, shape, port,
      [&](const s3::Client& client, const sync::SyncOptions& o) {
        return sync::RunSync(Bucket(client, "down"), Folder(dst), o);
      },
      [&] { fs::remove_all(dst); });  // every iteration fetches every object
  fs::remove_all(dst);
}

void BM_SyncUpSmall(benchmark::State& state) { Upload(state, kSmall, g_small_port); }
void BM_SyncDownSmall(benchmark::State& state) { Download(state, kSmall, g_small_port); }
void BM_SyncUpLarge(benchmark::State& state) { Upload(state, kLarge, g_large_port); }
void BM_SyncDownLarge(benchmark::State& state) { Download(state, kLarge, g_large_port); }

BENCHMARK(BM_SyncUpSmall)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_SyncDownSmall)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_SyncUpLarge)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_SyncDownLarge)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace
}  // namespace gwsync

int main(int argc, char** argv) {
  // Before any thread exists: the stand-ins are forked.
  gwsync::g_small_port =
      gwsync::bench::StartStandIn(gwsync::kSmall.size, gwsync::kSmall.objects).port;
  gwsync::g_large_port =
      gwsync::bench::StartStandIn(gwsync::kLarge.size, gwsync::kLarge.objects).port;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
