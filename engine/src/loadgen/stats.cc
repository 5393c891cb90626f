#include "loadgen/stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace gwsync::loadgen {

std::string_view ErrorClassName(ErrorClass c) {
  static constexpr std::string_view kNames[kErrorClassCount] = {"4xx",     "slowdown",   "5xx",
                                                                "timeout", "connection", "other"};
  return kNames[static_cast<int>(c)];
}

ErrorClass ClassifyError(int http_status, const Status& transport) {
  if (!transport.ok()) {
    if (transport.code() == StatusCode::kDeadlineExceeded) return ErrorClass::kTimeout;
    if (transport.code() == StatusCode::kUnavailable) return ErrorClass::kConnection;
    return ErrorClass::kOther;
  }
  if (http_status == 503 || http_status == 429) return ErrorClass::kSlowDown;
  if (http_status >= 500) return ErrorClass::k5xx;
  if (http_status >= 400) return ErrorClass::k4xx;
  return ErrorClass::kOther;
}

uint64_t OpStats::error_count() const {
  uint64_t n = 0;
  for (uint64_t e : errors) n += e;
  return n;
}

void OpStats::Merge(const OpStats& o) {
  count += o.count;
  requests += o.requests;
  bytes += o.bytes;
  latency_us.Merge(o.latency_us);
  ttfb_us.Merge(o.ttfb_us);
  for (int i = 0; i < kErrorClassCount; ++i) errors[i] += o.errors[i];
}

OpStats Total(const OpTable& table) {
  OpStats t;
  for (const auto& s : table) t.Merge(s);
  return t;
}

bool CpuUse::client_bound() const { return busiest_thread > 0.8 || cores > 0.8 * online_cores; }

CpuSample CpuSample::Now() {
  CpuSample s;
  s.wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  s.process = secs(ru.ru_utime) + secs(ru.ru_stime);
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/stat");
      std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      size_t paren = line.rfind(')');
      if (paren == std::string::npos) continue;
      // After "pid (comm)": state is field 3, utime 14 and stime 15.
      std::istringstream fields(line.substr(paren + 2));
      std::string f;
      double utime = 0, stime = 0;
      for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::atof(f.c_str());
        if (i == 15) stime = std::atof(f.c_str());
      }
      s.threads.emplace_back(std::atoi(e->d_name), (utime + stime) / tick);
    }
    closedir(dir);
  }
  return s;
}

CpuUse CpuBetween(const CpuSample& a, const CpuSample& b) {
  CpuUse u;
  u.online_cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  double wall = b.wall - a.wall;
  if (wall <= 0) return u;
  u.cores = (b.process - a.process) / wall;
  for (const auto& [tid, cpu] : b.threads) {
    double before = 0;
    for (const auto& [t0, c0] : a.threads) {
      if (t0 == tid) before = c0;
    }
    u.busiest_thread = std::max(u.busiest_thread, (cpu - before) / wall);
  }
  return u;
}

double OpsPerSecond(const OpStats& s, double seconds) {
  return seconds > 0 ? static_cast<double>(s.count) / seconds : 0;
}

double MibPerSecond(const OpStats& s, double seconds) {
  return seconds > 0 ? static_cast<double>(s.bytes) / (1024.0 * 1024.0) / seconds : 0;
}

int SaturationIndex(const std::vector<PhaseResult>& phases) {
  for (size_t i = 0; i + 1 < phases.size(); ++i) {
    OpStats a = Total(phases[i].ops), b = Total(phases[i + 1].ops);
    double ra = OpsPerSecond(a, phases[i].seconds), rb = OpsPerSecond(b, phases[i + 1].seconds);
    if (rb < 1.1 * ra && b.latency_us.Percentile(99) > a.latency_us.Percentile(99)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace gwsync::loadgen
