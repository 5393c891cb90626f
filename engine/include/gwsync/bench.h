// Measuring a gateway: what `gwsync bench` runs. PUT, GET, HEAD, LIST,
// DELETE and multipart PUT load under a fresh run prefix of a bucket (which
// must hold nothing there), one measured phase per concurrency level after
// an uncounted warm-up, then the clean-up of what it wrote. Every failure
// is a measurement: no request is retried. Closed loop by default; with a
// rate, open loop (latency counted from each operation's scheduled start).
// Bench blocks its thread until the run and its clean-up are over; its
// callbacks run on that thread. CompareBench is pure: any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

struct BenchProgress {
  std::string stage;  // "prepare", "warm-up", "measure", "cleanup"
  int concurrency = 0;
  double elapsed = 0;  // seconds into the stage
  double length = 0;   // the stage's planned seconds (0: unknown)
  uint64_t ops = 0;    // done in the stage
  uint64_t errors = 0;
  uint64_t bytes = 0;
};

// Each field as the `gwsync bench` flag of its name takes it.
struct BenchRequest {
  std::string target;  // s3://BUCKET[/PREFIX]
  std::string op;      // one operation: put (""), get, head, list, delete, mpput
  std::string mix;     // or weights: "get=45,head=30,put=15,delete=10"
  // One of: a size or a list picked evenly ("4KiB", "4KiB,1MiB"); weights
  // ("4KiB:70,1MiB:25,64MiB:5"); the sizes of the objects under an
  // s3://BUCKET[/PREFIX] (its first million). None: 4KiB (64MiB for mpput).
  std::string size, sizes, sizes_from;
  // "16" or a sweep "1,4,16,64". "": GatewayOptions::concurrency, else 16
  // (256 with a rate, as the cap of those in flight).
  std::string concurrency;
  std::string duration = "30s";  // measured per level: "30s", "2m", "500ms"
  std::string warmup = "5s";     // uncounted, before each level
  double rate = 0;               // operations started per second (open loop); 0: closed loop
  int objects = 0;               // written first for get/head/list/delete (0: 1000, at most 1GiB)
  int delete_batch = 100;        // keys per DeleteObjects request (1 to 1000)
  uint64_t seed = 0;             // of the operation and size draws (0: random)
  bool keep_data = false;        // leave what the run wrote
  // Set (a signal) to stop early: the phase ends, the clean-up still runs.
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const BenchProgress&)> on_progress;  // about five times a second
  std::function<void(const std::string&)> on_note;        // "writing 1000 objects ..."
};

struct BenchResult {
  std::string run_id;
  std::string bucket;
  std::string run_prefix;  // PREFIX/gwsync-bench-RUNID/
  bool interrupted = false;
  // Clean-up failures leave data under run_prefix.
  uint64_t cleanup_errors = 0;
  std::string cleanup_first_error;
  std::string text;  // the report as a table, as `gwsync bench` prints it
  std::string json;  // the report as JSON ("schema_version": 1), what CompareBench reads
  std::string csv;   // the per-second series: second,concurrency,ops,ops_per_s,...
};

// InvalidArgument for a request that cannot run; an error when objects
// already exist under the run prefix (nothing is written then). Failed
// operations are counted in the report, not returned.
StatusOr<BenchResult> Bench(const GatewayOptions& gateway, const BenchRequest& request);

struct BenchCompareRequest {
  std::string before, after;  // BenchResult::json files
  double throughput_pct = 5;  // ops/s or MiB/s down by more: a regression
  double latency_pct = 10;    // a latency percentile or the errors up by more: a regression
};

// The change of each figure between two runs, as `gwsync bench compare`
// prints it. InvalidArgument naming a file that is not a bench report.
StatusOr<std::string> CompareBench(const BenchCompareRequest& request);

}  // namespace gwsync
