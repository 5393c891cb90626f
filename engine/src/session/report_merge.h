// Adding up the --json reports of a sharded sync's shares into one, and
// saying whether they cover the whole: every share 0..N-1 present, none
// failed, of the same sync, and each share starting where the one before it
// ends. Pure: no I/O. Safe from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gwsync::session {

struct ReportFile {
  std::string name;  // for messages (the file name)
  std::string text;  // its content: a --json report of `sync --shard`
};

struct MergedReport {
  nlohmann::json report;              // the sum, with "shares", "missing", "failed"
  std::vector<std::string> problems;  // why it is not complete, one line each
  bool complete() const { return problems.empty(); }
};

// A share given twice is taken from the later file (a re-run after a
// failure); a file that is empty or not a report is a problem.
MergedReport MergeReports(const std::vector<ReportFile>& files);

}  // namespace gwsync::session
