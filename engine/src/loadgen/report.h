// A finished benchmark as the user sees it: a table for the terminal, a JSON
// document ("schema_version": 1) that `bench compare` reads back, and a CSV
// per-second series. Pure formatting: safe from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "gwsync/status.h"
#include "loadgen/runner.h"

namespace gwsync::loadgen {

constexpr int kReportSchemaVersion = 1;

nlohmann::json ReportToJson(const BenchReport& report);
std::string FormatReport(const BenchReport& report);
// second,concurrency,ops,ops_per_s,mib_per_s,errors,p50_ms,p99_ms per row.
std::string SeriesCsv(const BenchReport& report);

// Reads a report written by --json: InvalidArgument naming the file when it
// cannot be read, is not JSON, or is not a schema-1 bench report.
StatusOr<nlohmann::json> LoadReport(const std::string& path);

struct CompareThresholds {
  double throughput_pct = 5;  // ops/s or MiB/s down by more: a regression
  double latency_pct = 10;    // a latency percentile (p50..p99.9) or errors up by more
};

struct CompareRow {
  std::string phase;   // "concurrency 16" (", 500 ops/s" when open loop)
  std::string op;      // "put", ..., "total"
  std::string figure;  // "ops/s", "MiB/s", "p50 ms", ..., "errors"
  double before = 0, after = 0;
  double change_pct = 0;  // (after - before) / before * 100; 0 when before is 0
  bool regression = false;
};

// Matches phases by concurrency and rate, then each operation's figures.
// Phases or operations in only one of the two are skipped and listed in
// *unmatched.
std::vector<CompareRow> Compare(const nlohmann::json& before, const nlohmann::json& after,
                                const CompareThresholds& thresholds,
                                std::vector<std::string>* unmatched);
std::string FormatComparison(const std::vector<CompareRow>& rows,
                             const std::vector<std::string>& unmatched,
                             const CompareThresholds& thresholds);

}  // namespace gwsync::loadgen
