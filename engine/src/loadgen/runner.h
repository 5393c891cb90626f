// RunBench drives a benchmark against a gateway through an s3::Client (and
// so through its endpoint pool): it claims a fresh run prefix, writes the
// working set the reads need, runs one measured phase per concurrency level
// (each after an uncounted warm-up), and deletes what it wrote. Closed loop
// by default (each of N workers starts its next operation when the last one
// ends); with a rate, open loop: operations start on a fixed schedule and
// their latency counts from the scheduled start, so a stalled gateway cannot
// hide its queueing (no coordinated omission).
//
// Call RunBench from one thread, not the client's transport thread; it blocks
// until the run and its clean-up are over. The callbacks in BenchOptions run
// on that calling thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gwsync/bench.h"
#include "gwsync/status.h"
#include "loadgen/stats.h"
#include "loadgen/workload.h"
#include "s3/client.h"

namespace gwsync::loadgen {

// A stage's counts so far: the public surface's (gwsync/bench.h).
using Progress = gwsync::BenchProgress;

struct BenchOptions {
  std::string bucket;
  std::string prefix;  // "" or ending in '/': the run prefix goes below it
  Mix mix = Mix::Single(Op::kPut);
  SizeDistribution sizes;
  std::vector<int> concurrency = {16};  // one phase per level
  double duration = 30;                 // seconds measured per phase
  double warmup = 5;                    // seconds before each phase, not counted
  double rate = 0;                      // ops/s scheduled (open loop); 0: closed loop
  int objects = 0;                      // working set for get/head/list/delete; 0: DefaultObjects()
  int delete_batch = 100;               // keys per DeleteObjects request
  uint64_t part_size = 16ull << 20;
  uint64_t multipart_threshold = 64ull << 20;  // a put this large goes multipart (as mpput)
  // Parts of one multipart put in flight at once (each to the least-loaded
  // gateway), as sync, put and cp send them.
  int part_parallel = 8;
  bool keep_data = false;
  std::string run_id;  // empty: a fresh one (time and random)
  uint64_t seed = 0;   // operation and size draws; 0: random
  // Set (e.g. by SIGINT) to stop early: the phase ends, clean-up still runs.
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const Progress&)> on_progress;  // about five times a second
  std::function<void(const std::string&)> on_note;   // "writing 1000 objects ..."

  // 1000 objects of the mean size, at most 1 GiB in all (at least 16); a
  // delete-only run gets 5000 (it consumes them).
  int DefaultObjects() const;
};

// Requests and objects outside the measured phases (setup, working set,
// clean-up).
struct Housekeeping {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  uint64_t errors = 0;
  std::string first_error;
};

struct BenchReport {
  std::string run_id;
  std::string bucket;
  std::string run_prefix;  // PREFIX/gwsync-bench-RUNID/
  std::vector<std::string> endpoints;
  std::string started_at;  // UTC, ISO 8601
  BenchOptions options;    // as run (callbacks cleared)
  int objects = 0;         // working set size used
  bool created_bucket = false;
  Housekeeping prepare, cleanup;
  std::vector<PhaseResult> phases;
  int saturation = -1;  // index into phases (SaturationIndex), -1: not reached
  bool interrupted = false;
  // Every HTTP request of the run, per endpoint, by S3 API name
  // ("PutObject", "UploadPart", "GetObject", "HeadBucket", ...): what each
  // gateway should have counted.
  std::vector<std::map<std::string, uint64_t>> requests;
};

// The sizes of the objects under s3://bucket/prefix (at most `limit` of
// them, in listing order): what `--sizes-from` replays.
StatusOr<std::vector<uint64_t>> ListSizes(const s3::Client& client, const std::string& bucket,
                                          const std::string& prefix, size_t limit);

// Fails without writing anything when objects already exist under the
// prefix (or the run prefix): bench only writes where nothing is.
StatusOr<BenchReport> RunBench(const s3::Client& client, BenchOptions options);

}  // namespace gwsync::loadgen
