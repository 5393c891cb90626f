#include "loadgen/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace gwsync::loadgen {
namespace {

// A report of one put phase: `ops` 1 MiB PUTs in 10 s at `latency_us` each.
BenchReport MakeReport(int concurrency, uint64_t ops, uint64_t latency_us) {
  BenchReport r;
  r.run_id = "test";
  r.bucket = "b";
  r.run_prefix = "gwsync-bench-test/";
  r.endpoints = {"http://gw1:7480", "http://gw2:7480"};
  r.options.sizes = *SizeDistribution::Parse("1MiB");
  PhaseResult p;
  p.concurrency = concurrency;
  p.seconds = 10;
  p.endpoints.resize(2);
  OpStats& put = p.ops[static_cast<int>(Op::kPut)];
  put.count = ops;
  put.requests = ops + 3;
  put.bytes = ops << 20;
  put.latency_us.Record(latency_us, ops);
  put.errors[static_cast<int>(ErrorClass::kSlowDown)] = 3;
  OpStats& get = p.ops[static_cast<int>(Op::kGet)];
  get.count = ops;
  get.requests = ops;
  get.bytes = ops << 20;
  get.latency_us.Record(latency_us, ops);
  get.ttfb_us.Record(latency_us / 2, ops);
  p.endpoints[0][static_cast<int>(Op::kPut)] = put;
  p.series.resize(10);
  p.series[0].ops = ops / 10;
  r.phases.push_back(p);
  r.requests = {{{"PutObject", ops}}, {{"GetObject", ops}}};
  return r;
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "-" + std::to_string(getpid());
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ReportTest, JsonCarriesSchemaFiguresAndPerEndpointBreakdown) {
  nlohmann::json j = ReportToJson(MakeReport(16, 1000, 20000));
  EXPECT_EQ(j["schema_version"], 1);
  const auto& put = j["phases"][0]["operations"]["put"];
  EXPECT_EQ(put["count"], 1000);
  EXPECT_DOUBLE_EQ(put["ops_per_s"].get<double>(), 100);
  // MiB/s is bytes moved over the measured time.
  EXPECT_DOUBLE_EQ(put["mib_per_s"].get<double>(), 1000.0 / 10);
  EXPECT_DOUBLE_EQ(put["latency_ms"]["p99"].get<double>(), 20);
  EXPECT_EQ(put["errors"]["slowdown"], 3);
  EXPECT_EQ(put["errors"]["total"], 3);
  EXPECT_FALSE(put.contains("ttfb_ms"));  // uploads have no meaningful first byte
  EXPECT_DOUBLE_EQ(j["phases"][0]["operations"]["get"]["ttfb_ms"]["p50"].get<double>(), 10);
  EXPECT_EQ(j["phases"][0]["operations"]["total"]["count"], 2000);
  EXPECT_FALSE(j["phases"][0]["operations"].contains("head"));
  EXPECT_EQ(j["phases"][0]["endpoints"][0]["endpoint"], "http://gw1:7480");
  EXPECT_EQ(j["phases"][0]["endpoints"][0]["operations"]["put"]["count"], 1000);
  EXPECT_EQ(j["requests"][1]["GetObject"], 1000);
  EXPECT_EQ(j["requests"][1]["total"], 1000);
  EXPECT_EQ(j["phases"][0]["time_series"].size(), 10u);
}

TEST(ReportTest, TableAndCsvNameEveryOperation) {
  BenchReport r = MakeReport(16, 1000, 20000);
  std::string table = FormatReport(r);
  EXPECT_NE(table.find("put"), std::string::npos);
  EXPECT_NE(table.find("http://gw2:7480"), std::string::npos);
  EXPECT_NE(table.find("3 slowdown"), std::string::npos);
  std::string csv = SeriesCsv(r);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "phase,concurrency,second,ops,ops_per_s,mib_per_s,errors,p50_ms,p99_ms");
  EXPECT_NE(csv.find("\n0,16,0,100,100.0,"), std::string::npos) << csv;
}

TEST(ReportTest, LoadRejectsMissingBrokenAndForeignFiles) {
  auto missing = LoadReport("/nonexistent/before.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read '/nonexistent/before.json'"),
            std::string::npos);
  std::string path = TempPath("report.json");
  Write(path, "{not json");
  EXPECT_NE(LoadReport(path).status().message().find("is not JSON"), std::string::npos);
  Write(path, R"({"source": "a", "destination": "b"})");  // a sync report
  EXPECT_NE(LoadReport(path).status().message().find("not a gwsync bench report"),
            std::string::npos);
  Write(path, R"({"schema_version": 2, "phases": []})");
  EXPECT_NE(LoadReport(path).status().message().find("schema_version 2"), std::string::npos);
  Write(path, ReportToJson(MakeReport(16, 1000, 20000)).dump());
  EXPECT_TRUE(LoadReport(path).ok());
  std::remove(path.c_str());
}

const CompareRow* Find(const std::vector<CompareRow>& rows, const std::string& op,
                       const std::string& figure) {
  for (const auto& r : rows) {
    if (r.op == op && r.figure == figure) return &r;
  }
  return nullptr;
}

TEST(CompareTest, FlagsThroughputDropsAndLatencyRisesBeyondThresholds) {
  nlohmann::json before = ReportToJson(MakeReport(16, 1000, 20000));
  nlohmann::json after = ReportToJson(MakeReport(16, 900, 21000));  // -10% ops, +5% latency
  std::vector<std::string> unmatched;
  auto rows = Compare(before, after, {}, &unmatched);
  EXPECT_TRUE(unmatched.empty());
  const CompareRow* ops = Find(rows, "put", "ops/s");
  ASSERT_NE(ops, nullptr);
  EXPECT_NEAR(ops->change_pct, -10, 1e-9);
  EXPECT_TRUE(ops->regression);
  EXPECT_TRUE(Find(rows, "put", "MiB/s")->regression);
  const CompareRow* p99 = Find(rows, "put", "p99 ms");
  EXPECT_NEAR(p99->change_pct, 5, 0.1);
  EXPECT_FALSE(p99->regression);
  EXPECT_FALSE(Find(rows, "put", "errors")->regression);  // 3 -> 3

  // Latency up 25%: a regression; throughput thresholds can be loosened.
  after = ReportToJson(MakeReport(16, 960, 25000));
  rows = Compare(before, after, {.throughput_pct = 5, .latency_pct = 10}, nullptr);
  EXPECT_TRUE(Find(rows, "put", "p50 ms")->regression);
  EXPECT_FALSE(Find(rows, "put", "ops/s")->regression);   // -4%
  EXPECT_FALSE(Find(rows, "put", "max ms")->regression);  // shown, never flagged
  rows = Compare(before, after, {.throughput_pct = 5, .latency_pct = 30}, nullptr);
  EXPECT_FALSE(Find(rows, "put", "p50 ms")->regression);

  // Faster is never a regression.
  rows = Compare(after, before, {}, nullptr);
  for (const auto& r : rows) EXPECT_FALSE(r.regression) << r.op << " " << r.figure;
  std::string text = FormatComparison(rows, {}, {});
  EXPECT_NE(text.find("0 regressions"), std::string::npos);
}

TEST(CompareTest, PhasesMatchByConcurrencyAndTheRestIsListed) {
  BenchReport a = MakeReport(16, 1000, 20000);
  a.phases.push_back(a.phases[0]);
  a.phases[1].concurrency = 64;
  BenchReport b = MakeReport(16, 1000, 20000);
  b.phases[0].concurrency = 4;
  b.phases.push_back(MakeReport(16, 500, 20000).phases[0]);
  std::vector<std::string> unmatched;
  auto rows = Compare(ReportToJson(a), ReportToJson(b), {}, &unmatched);
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) EXPECT_EQ(r.phase, "concurrency 16");
  EXPECT_TRUE(Find(rows, "total", "ops/s")->regression);
  ASSERT_EQ(unmatched.size(), 2u);
  EXPECT_EQ(unmatched[0], "concurrency 64: only in the first report");
  EXPECT_EQ(unmatched[1], "concurrency 4: only in the second report");
  std::string text = FormatComparison(rows, unmatched, {});
  EXPECT_NE(text.find("REGRESSION"), std::string::npos);
  EXPECT_NE(text.find("not compared: concurrency 64"), std::string::npos);
}

}  // namespace
}  // namespace gwsync::loadgen
