// The planner over synthetic listings the shape of a large registry: a
// re-sync of N keys per side where nearly everything is unchanged. Reports
// keys/s and the process's peak RSS (the memory target is for N = 1,000,000).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>

#include "plan/plan.h"

namespace {

using gwsync::plan::Entry;

std::vector<Entry> Listing(int n, bool remote) {
  std::vector<Entry> out;
  out.reserve(n);
  char key[160];
  for (int i = 0; i < n; ++i) {
    // Sorted: the two hex digits of the folder are the high byte of i.
    std::snprintf(key, sizeof(key),
                  "docker/registry/v2/blobs/sha256/%02x/%02x%062x/data", (i >> 12) & 0xff,
                  (i >> 12) & 0xff, i);
    Entry e;
    e.key = key;
    e.size = 4096 + (i % 1000);
    if (remote) {
      char etag[40];
      std::snprintf(etag, sizeof(etag), "%032x", i);
      e.etag = etag;
    } else {
      e.mtime_ns = 1700000000000000000 + i;
      e.inode = 1000 + i;
    }
    out.push_back(std::move(e));
  }
  return out;
}

long PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

void BM_PlanResync(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<Entry> local = Listing(n, false), remote = Listing(n, true);
    gwsync::plan::PlanOptions options;
    options.direction = gwsync::plan::Direction::kUpload;
    // The index remembers every file: the re-sync skips all of them.
    auto recall = [](const Entry& file, const Entry& object) {
      gwsync::plan::Remembered r;
      r.has_local = true;
      r.size = file.size;
      r.mtime_ns = file.mtime_ns;
      r.inode = file.inode;
      r.etag = object.etag;
      return std::optional(r);
    };
    auto planned = gwsync::plan::PlanAll(local, remote, recall, options);
    if (!planned.ok() || planned->size() != static_cast<size_t>(n)) {
      state.SkipWithError("planning failed");
      return;
    }
    benchmark::DoNotOptimize(planned->data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_rss_MiB"] = static_cast<double>(PeakRssMiB());
}
BENCHMARK(BM_PlanResync)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
