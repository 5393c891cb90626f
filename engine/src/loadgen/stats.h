// The figures a benchmark collects: per operation (and per endpoint) counts,
// bytes, latency and time-to-first-byte histograms and errors by class; a
// per-second series; the client's own CPU use. Plain values: the runner fills
// them under its lock, the report reads them when the run is over.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"
#include "loadgen/histogram.h"
#include "loadgen/workload.h"

namespace gwsync::loadgen {

// Why an operation failed, as an operator reads it.
enum class ErrorClass { k4xx, kSlowDown, k5xx, kTimeout, kConnection, kOther };
constexpr int kErrorClassCount = 6;
// "4xx", "slowdown" (503 SlowDown and 429), "5xx", "timeout", "connection"
// (refused or reset), "other" (a local failure, a bad reply).
std::string_view ErrorClassName(ErrorClass c);
// `http_status` is the last attempt's (0: no answer); `transport` its
// transport status.
ErrorClass ClassifyError(int http_status, const Status& transport);

struct OpStats {
  uint64_t count = 0;     // successful operations
  uint64_t requests = 0;  // HTTP requests sent, failed ones included
  uint64_t bytes = 0;     // object bytes moved by successful operations
  Histogram latency_us;   // of successful operations
  Histogram ttfb_us;
  std::array<uint64_t, kErrorClassCount> errors{};

  uint64_t error_count() const;
  void Merge(const OpStats& other);
};

using OpTable = std::array<OpStats, kOpCount>;
OpStats Total(const OpTable& table);

struct SecondStats {
  uint64_t ops = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  Histogram latency_us;
};

// The client's CPU over a window: `cores` is CPU seconds per wall second
// over the whole process; `busiest_thread` the same for its busiest thread
// (the HTTP event loop carries every request, so near 1.0 it is the limit).
struct CpuUse {
  double cores = 0;
  double busiest_thread = 0;
  int online_cores = 1;
  // True when busiest_thread > 0.8, or cores > 0.8 * online_cores.
  bool client_bound() const;
};

// A point in time for CpuUse: process and per-thread CPU seconds so far.
struct CpuSample {
  double wall = 0;
  double process = 0;
  std::vector<std::pair<int, double>> threads;  // tid, CPU seconds
  static CpuSample Now();
};
CpuUse CpuBetween(const CpuSample& a, const CpuSample& b);

// One measured phase: a concurrency level (or rate) held for the duration.
struct PhaseResult {
  int concurrency = 0;
  double rate = 0;                  // scheduled ops/s (open loop); 0: closed loop
  double seconds = 0;               // the measured window
  OpTable ops;                      // operations scheduled in the window
  std::vector<OpTable> endpoints;   // the same per endpoint (requests: those it served)
  std::vector<SecondStats> series;  // by completion second within the window
  std::array<uint64_t, kOpCount> warmup_requests{};
  uint64_t warmup_errors = 0;
  uint64_t unsent = 0;  // open loop: scheduled in the window, never sent (too slow)
  CpuUse cpu;
  bool interrupted = false;
};

double OpsPerSecond(const OpStats& s, double seconds);
double MibPerSecond(const OpStats& s, double seconds);

// The phase after which more concurrency stops paying: the first level whose
// successor has < 10% more ops/s and a higher p99 latency. -1 when none.
int SaturationIndex(const std::vector<PhaseResult>& phases);

}  // namespace gwsync::loadgen
