// What a nightly job leaves behind for monitoring: the run's figures in
// Prometheus' text exposition format, for node_exporter's textfile
// collector, and a log with a timestamp on every line. Used from the
// command's thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/status.h"
#include "gwsync/sync.h"

namespace gwsync::cli {

// One run as the metrics file reports it.
struct RunMetrics {
  std::string source, destination;
  bool dry_run = false;
  bool started = false;  // false: the sync could not start (the report is empty)
  const SyncReport* report = nullptr;
  ClusterStats gateways;  // the run's gateways, per cluster, so far
  double seconds = 0;
  int64_t finished_at = 0;  // seconds since the epoch
  int exit_code = 0;
  std::string interrupted_by;  // "SIGTERM", ...: stopped by a signal before it finished
  // false: a success that proves nothing about the folder as a whole (a
  // follower's batch while a change that failed earlier waits in the queue):
  // the last success stays where it was.
  bool proven = true;
};

// The exposition text. `previous_success` (seconds since the epoch, 0 for
// never) is what a failed run reports as the last success.
std::string FormatMetrics(const RunMetrics& run, int64_t previous_success);

// The last success time recorded in an earlier metrics file at `path`, or 0.
int64_t ReadLastSuccess(const std::string& path);

// Writes FormatMetrics to `path` atomically: a temporary file in the same
// folder, fsync-ed, then renamed over it, so the collector never reads half
// a file.
Status WriteMetricsFile(const std::string& path, const RunMetrics& run);

// Appends lines "2026-11-28T02:00:01Z MESSAGE" to a file, each flushed at
// once (a job killed midway leaves what it did). Does nothing when not open.
class LogFile {
 public:
  LogFile() = default;
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  Status Open(const std::string& path);
  void Line(const std::string& message);

 private:
  std::FILE* file_ = nullptr;
};

}  // namespace gwsync::cli
