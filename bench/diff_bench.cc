// The streaming merge over synthetic listings the shape of a large
// registry: a re-sync of N keys per side where nearly everything is
// unchanged, with keys generated as they are read (as a bucket's pages
// arrive), so peak RSS shows what the merge itself holds: it must not grow
// with N. Reports keys/s and the process's peak RSS.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>

#include "index/index.h"
#include "sides/stream.h"
#include "sync/merge.h"

namespace {

using gwsync::plan::Entry;

// N registry keys in byte order, made a batch at a time.
class GeneratedStream final : public gwsync::sides::EntryStream {
 public:
  GeneratedStream(int n, bool remote) : n_(n), remote_(remote) {}
  bool Next(gwsync::sides::ListBatch* batch) override {
    if (next_ >= n_) return false;
    batch->entries.clear();
    char key[160];
    for (int end = std::min(n_, next_ + 1000); next_ < end; ++next_) {
      int i = next_;
      // Sorted: the two hex digits of the folder are the high byte of i.
      std::snprintf(key, sizeof(key), "docker/registry/v2/blobs/sha256/%02x/%02x%062x/data",
                    (i >> 12) & 0xff, (i >> 12) & 0xff, i);
      Entry e;
      e.key = key;
      e.size = 4096 + (i % 1000);
      if (remote_) {
        char etag[40];
        std::snprintf(etag, sizeof(etag), "%032x", i);
        e.etag = etag;
      } else {
        e.mtime_ns = 1700000000000000000 + i;
        e.inode = 1000 + i;
      }
      batch->entries.push_back(std::move(e));
    }
    return true;
  }
  uint64_t listed() const override { return next_; }

 private:
  const int n_;
  const bool remote_;
  int next_ = 0;
};

long PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// Runs the merge to its end; how many keys it skipped.
uint64_t SkippedByMerge(GeneratedStream& local, GeneratedStream& remote,
                        const gwsync::plan::PlanOptions& options,
                        const gwsync::sync::Merger::Recall& recall) {
  gwsync::sync::Merger merger(&local, &remote, options, recall, nullptr);
  gwsync::plan::Action a;
  uint64_t skipped = 0;
  while (merger.Next(&a)) skipped += a.kind == gwsync::plan::ActionKind::kSkip;
  return skipped;
}

void BM_MergeResync(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    GeneratedStream local(n, false), remote(n, true);
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
    if (SkippedByMerge(local, remote, options, recall) != static_cast<uint64_t>(n)) {
      state.SkipWithError("the re-sync did not skip every key");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_rss_MiB"] = static_cast<double>(PeakRssMiB());
}
BENCHMARK(BM_MergeResync)->Arg(100000)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

// The same re-sync with what the index remembers read from a real RocksDB
// index (filled first, outside the timing), one Get per key on the merge's
// thread as sync does: the cost of the lookups and the index's memory.
void BM_MergeResyncWithIndex(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string dir = std::filesystem::temp_directory_path() / "gwsync-diff-bench-index";
  std::filesystem::remove_all(dir);
  auto idx = gwsync::index::Index::Open(dir);
  if (!idx.ok()) {
    state.SkipWithError("cannot open the index");
    return;
  }
  {
    GeneratedStream local(n, false), remote(n, true);
    gwsync::sides::ListBatch a, b;
    while (local.Next(&a) && remote.Next(&b)) {
      for (size_t i = 0; i < a.entries.size(); ++i) {
        gwsync::index::LocalRecord r;
        r.size = a.entries[i].size;
        r.mtime_ns = a.entries[i].mtime_ns;
        r.inode = a.entries[i].inode;
        r.etag = b.entries[i].etag;
        (*idx)->PutLocal("/backup", a.entries[i].key, r).IgnoreError();
      }
    }
  }
  for (auto _ : state) {
    GeneratedStream local(n, false), remote(n, true);
    gwsync::plan::PlanOptions options;
    options.direction = gwsync::plan::Direction::kUpload;
    auto recall = [&](const Entry& file, const Entry&) -> std::optional<gwsync::plan::Remembered> {
      auto rec = (*idx)->GetLocal("/backup", file.key);
      if (!rec.ok() || !rec->has_value()) return std::nullopt;
      gwsync::plan::Remembered r;
      r.has_local = true;
      r.size = (*rec)->size;
      r.mtime_ns = (*rec)->mtime_ns;
      r.inode = (*rec)->inode;
      r.etag = (*rec)->etag;
      return r;
    };
    if (SkippedByMerge(local, remote, options, recall) != static_cast<uint64_t>(n)) {
      state.SkipWithError("the re-sync did not skip every key");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_rss_MiB"] = static_cast<double>(PeakRssMiB());
  idx->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_MergeResyncWithIndex)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
