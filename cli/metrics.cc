#include "cli/metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "gwsync/files.h"

namespace gwsync::cli {
namespace {

// A label value: backslash, double quote and newline escaped.
std::string Quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Exposition {
 public:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::map<std::string, std::string>& labels,
              double value) {
    text_ += name + "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
      text_ += (first ? "" : ",") + k + "=" + Quote(v);
      first = false;
    }
    char number[64];
    std::snprintf(number, sizeof(number), "%.17g", value);
    text_ += std::string("} ") + number + "\n";
  }
  std::string text() const { return text_; }

 private:
  std::string text_;
};

constexpr const char* kLastSuccess = "gwsync_sync_last_success_timestamp_seconds";

}  // namespace

// NOLINTNEXTLINE(readability-function-size): a list of metrics, in file order
std::string FormatMetrics(const RunMetrics& run, int64_t previous_success) {
  const std::map<std::string, std::string> pair = {{"source", run.source},
                                                   {"destination", run.destination}};
  auto with = [&pair](const std::string& k, const std::string& v) {
    auto labels = pair;
    labels[k] = v;
    return labels;
  };
  const SyncReport empty;
  const SyncReport& r = run.report ? *run.report : empty;
  bool success = run.started && run.exit_code == 0;
  Exposition e;

  e.Family("gwsync_sync_success", "gauge", "1 if the last run finished without any error.");
  e.Sample("gwsync_sync_success", pair, success ? 1 : 0);
  e.Family("gwsync_sync_exit_code", "gauge", "The last run's exit code.");
  e.Sample("gwsync_sync_exit_code", pair, run.exit_code);
  e.Family("gwsync_sync_interrupted", "gauge",
           "1 if the last run was stopped by a signal (label: which) before it finished.");
  e.Sample("gwsync_sync_interrupted",
           run.interrupted_by.empty() ? pair : with("signal", run.interrupted_by),
           run.interrupted_by.empty() ? 0 : 1);
  e.Family("gwsync_sync_dry_run", "gauge", "1 if the last run was a dry run.");
  e.Sample("gwsync_sync_dry_run", pair, run.dry_run ? 1 : 0);
  e.Family("gwsync_sync_duration_seconds", "gauge", "How long the last run took.");
  e.Sample("gwsync_sync_duration_seconds", pair, run.seconds);
  e.Family("gwsync_sync_last_run_timestamp_seconds", "gauge", "When the last run finished.");
  e.Sample("gwsync_sync_last_run_timestamp_seconds", pair, static_cast<double>(run.finished_at));
  // A dry run copies nothing: it is no backup, however well it went.
  e.Family(kLastSuccess, "gauge",
           "When a run (not a dry run) last finished without error (0: never).");
  e.Sample(kLastSuccess, pair,
           static_cast<double>(success && !run.dry_run && run.proven ? run.finished_at
                                                                     : previous_success));

  e.Family("gwsync_sync_objects", "gauge", "Objects per action in the last run.");
  for (const auto& [name, t] : r.actions)
    e.Sample("gwsync_sync_objects", with("action", name), t.objects);
  e.Family("gwsync_sync_bytes", "gauge", "Bytes per action in the last run.");
  for (const auto& [name, t] : r.actions)
    e.Sample("gwsync_sync_bytes", with("action", name), t.bytes);
  e.Family("gwsync_sync_source_objects", "gauge", "Objects listed on the source.");
  e.Sample("gwsync_sync_source_objects", pair, r.source_objects);
  e.Family("gwsync_sync_destination_objects", "gauge", "Objects listed on the destination.");
  e.Sample("gwsync_sync_destination_objects", pair, r.destination_objects);
  e.Family("gwsync_sync_errors", "gauge",
           "Errors in the last run (a run that could not start: 1).");
  e.Sample("gwsync_sync_errors", pair, run.started ? r.error_count : 1);
  e.Family("gwsync_sync_notices", "gauge",
           "Notices in the last run (files not synced on purpose).");
  e.Sample("gwsync_sync_notices", pair, r.notice_count);
  e.Family("gwsync_sync_unverified", "gauge",
           "Objects copied whose content could not be proven against their ETag.");
  e.Sample("gwsync_sync_unverified", pair, r.unverified_count);
  e.Family("gwsync_sync_deletes_refused", "gauge", "Planned deletes not carried out.");
  e.Sample("gwsync_sync_deletes_refused", pair, r.deletes_refused);

  if (!run.gateways.empty()) {
    const ClusterStats& stats = run.gateways;
    struct Figure {
      const char* name;
      const char* help;
      double (*get)(const GatewayStats&);
    };
    const Figure figures[] = {
        {"gwsync_gateway_requests", "Requests sent to the gateway in the last run.",
         [](const GatewayStats& s) { return double(s.requests); }},
        {"gwsync_gateway_errors", "Failed requests.",
         [](const GatewayStats& s) { return double(s.errors); }},
        {"gwsync_gateway_throttled", "Throttled answers (503 SlowDown, 429).",
         [](const GatewayStats& s) { return double(s.throttled); }},
        {"gwsync_gateway_timeouts", "Requests that stalled.",
         [](const GatewayStats& s) { return double(s.timeouts); }},
        {"gwsync_gateway_down_events", "Times the gateway was marked down.",
         [](const GatewayStats& s) { return double(s.down_events); }},
        {"gwsync_gateway_sent_bytes", "Bytes sent to the gateway.",
         [](const GatewayStats& s) { return double(s.bytes_sent); }},
        {"gwsync_gateway_received_bytes", "Bytes received from the gateway.",
         [](const GatewayStats& s) { return double(s.bytes_received); }},
        {"gwsync_gateway_concurrency_min", "Lowest concurrency the gateway was held to.",
         [](const GatewayStats& s) { return double(s.concurrency_min); }},
    };
    for (const Figure& f : figures) {
      e.Family(f.name, "gauge", f.help);
      for (const auto& [remote, endpoints] : stats) {
        for (const auto& s : endpoints) {
          auto labels = pair;
          labels["remote"] = remote;
          labels["endpoint"] = s.name;
          e.Sample(f.name, labels, f.get(s));
        }
      }
    }
  }
  return e.text();
}

int64_t ReadLastSuccess(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(std::string(kLastSuccess) + "{")) continue;
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    return static_cast<int64_t>(std::strtod(line.c_str() + space + 1, nullptr));
  }
  return 0;
}

Status WriteMetricsFile(const std::string& path, const RunMetrics& run) {
  std::string text = FormatMetrics(run, ReadLastSuccess(path));
  // The textfile collector reads only *.prom: the temporary name
  // (".NAME.prom.gwsync-XXXXXX") does not end in it.
  Status written = WriteFileAtomically(path, text, 0644);
  if (!written.ok()) return Internal("metrics file '" + path + "': " + written.message());
  return Status::Ok();
}

LogFile::~LogFile() {
  if (file_) std::fclose(file_);
}

Status LogFile::Open(const std::string& path) {
  // A new log is the owner's alone: it names keys and files.
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) file_ = fdopen(fd, "a");
  if (!file_) {
    int err = errno;
    if (fd >= 0) close(fd);
    return Internal("log file '" + path + "': " + std::strerror(err));
  }
  return Status::Ok();
}

void LogFile::Line(const std::string& message) {
  if (!file_) return;
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(file_, "%s %s\n", stamp, message.c_str());
  std::fflush(file_);
}

}  // namespace gwsync::cli
