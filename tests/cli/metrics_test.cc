// The nightly job's metrics file: what node_exporter's textfile collector
// and an alert on the last success time rely on.
#include "cli/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gwsync::cli {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MetricsTest, LabelsAreEscaped) {
  RunMetrics run;
  run.source = "/srv/a \"b\"\\c\nd";
  run.destination = "s3://db_wal";
  run.started = true;
  std::string text = FormatMetrics(run, 0);
  EXPECT_NE(text.find("source=\"/srv/a \\\"b\\\"\\\\c\\nd\""), std::string::npos) << text;
  EXPECT_EQ(text.find("\nd\""), std::string::npos) << "a raw newline inside a label";
}

TEST(MetricsTest, AFailedRunKeepsTheLastSuccess) {
  fs::path dir = fs::temp_directory_path() / ("gwsync-metrics-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "job.prom").string();
  SyncReport report;
  report.actions["upload"] = {3, 21000};
  RunMetrics good;
  good.source = "/srv/wal";
  good.destination = "s3://db-wal";
  good.started = true;
  good.report = &report;
  good.finished_at = 1700000000;
  ASSERT_TRUE(WriteMetricsFile(path, good).ok());
  EXPECT_EQ(ReadLastSuccess(path), 1700000000);
  std::string text = Read(path);
  EXPECT_NE(text.find("gwsync_sync_objects{action=\"upload\",destination=\"s3://db-wal\","
                      "source=\"/srv/wal\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gwsync_sync_success{destination=\"s3://db-wal\",source=\"/srv/wal\"} 1\n"),
            std::string::npos)
      << text;

  RunMetrics bad = good;
  bad.started = false;  // could not even start
  bad.report = nullptr;
  bad.exit_code = 1;
  bad.finished_at = 1700086400;
  ASSERT_TRUE(WriteMetricsFile(path, bad).ok());
  EXPECT_EQ(ReadLastSuccess(path), 1700000000);
  text = Read(path);
  EXPECT_NE(text.find("gwsync_sync_errors{destination=\"s3://db-wal\",source=\"/srv/wal\"} 1\n"),
            std::string::npos)
      << text;
  // Nor does a dry run count as a backup.
  RunMetrics dry = good;
  dry.dry_run = true;
  dry.finished_at = 1700090000;
  ASSERT_TRUE(WriteMetricsFile(path, dry).ok());
  EXPECT_EQ(ReadLastSuccess(path), 1700000000);
  // Nor a follower's batch that went well while a change that failed before
  // waits in the queue: the folder is not proven up to date.
  RunMetrics batch = good;
  batch.proven = false;
  batch.finished_at = 1700090100;
  ASSERT_TRUE(WriteMetricsFile(path, batch).ok());
  EXPECT_EQ(ReadLastSuccess(path), 1700000000);
  text = Read(path);
  EXPECT_NE(text.find("gwsync_sync_success{destination=\"s3://db-wal\",source=\"/srv/wal\"} 1\n"),
            std::string::npos)
      << text;
  // Only the file itself: the temporary was renamed over it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gwsync::cli
