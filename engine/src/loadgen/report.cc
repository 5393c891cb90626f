#include "loadgen/report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gwsync/units.h"

namespace gwsync::loadgen {
namespace {

using nlohmann::json;

double Ms(uint64_t us) { return std::round(static_cast<double>(us)) / 1000.0; }
double Round(double v, int digits) {
  double f = std::pow(10, digits);
  return std::round(v * f) / f;
}

json OpJson(const OpStats& s, double seconds) {
  json j;
  j["count"] = s.count;
  j["requests"] = s.requests;
  j["bytes"] = s.bytes;
  j["ops_per_s"] = Round(OpsPerSecond(s, seconds), 3);
  j["mib_per_s"] = Round(MibPerSecond(s, seconds), 3);
  const Histogram& h = s.latency_us;
  j["latency_ms"] = {{"mean", Round(h.mean() / 1000, 3)}, {"p50", Ms(h.Percentile(50))},
                     {"p90", Ms(h.Percentile(90))},       {"p99", Ms(h.Percentile(99))},
                     {"p99.9", Ms(h.Percentile(99.9))},   {"max", Ms(h.max())}};
  const Histogram& t = s.ttfb_us;
  if (t.count()) {  // reads only
    j["ttfb_ms"] = {{"p50", Ms(t.Percentile(50))},
                    {"p90", Ms(t.Percentile(90))},
                    {"p99", Ms(t.Percentile(99))}};
  }
  json e;
  for (int i = 0; i < kErrorClassCount; ++i) {
    e[std::string(ErrorClassName(static_cast<ErrorClass>(i)))] = s.errors[i];
  }
  e["total"] = s.error_count();
  j["errors"] = e;
  return j;
}

bool Used(const OpStats& s) { return s.count || s.requests || s.error_count(); }

json OpsJson(const OpTable& table, double seconds) {
  json j = json::object();
  for (int i = 0; i < kOpCount; ++i) {
    if (Used(table[i])) j[std::string(OpName(static_cast<Op>(i)))] = OpJson(table[i], seconds);
  }
  j["total"] = OpJson(Total(table), seconds);
  return j;
}

std::string PhaseLabel(int concurrency, double rate) {
  std::string label = "concurrency " + std::to_string(concurrency);
  if (rate > 0)
    label += ", " + std::to_string(static_cast<long long>(std::llround(rate))) + " ops/s";
  return label;
}

std::string Line(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Line(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return std::string(buf) + "\n";
}

std::string ErrorText(const OpStats& s) {
  std::string out;
  for (int i = 0; i < kErrorClassCount; ++i) {
    if (!s.errors[i]) continue;
    if (!out.empty()) out += ", ";
    out +=
        std::to_string(s.errors[i]) + " " + std::string(ErrorClassName(static_cast<ErrorClass>(i)));
  }
  return out;
}

std::string OpRow(const std::string& name, const OpStats& s, double seconds) {
  const Histogram& h = s.latency_us;
  const Histogram& t = s.ttfb_us;
  auto ttfb = [&t](double p) {
    char buf[16] = "        -";
    if (t.count()) std::snprintf(buf, sizeof(buf), "%9.2f", Ms(t.Percentile(p)));
    return std::string(buf);
  };
  return Line("%-8s %9llu %9.1f %8.2f %8.2f %8.2f %8.2f %9.2f %8.2f %s %s %7llu", name.c_str(),
              static_cast<unsigned long long>(s.count), OpsPerSecond(s, seconds),
              MibPerSecond(s, seconds), Ms(h.Percentile(50)), Ms(h.Percentile(90)),
              Ms(h.Percentile(99)), Ms(h.Percentile(99.9)), Ms(h.max()), ttfb(50).c_str(),
              ttfb(99).c_str(), static_cast<unsigned long long>(s.error_count()));
}

const char* kHeader =
    "op           count     ops/s    MiB/s   p50 ms   p90 ms   p99 ms  p99.9 ms   max ms  "
    "ttfb p50  ttfb p99  errors\n";

}  // namespace

// NOLINTNEXTLINE(readability-function-size): a list of fields, in schema order
json ReportToJson(const BenchReport& r) {
  const BenchOptions& o = r.options;
  json j;
  j["schema_version"] = kReportSchemaVersion;
  j["tool"] = "gwsync bench";
  j["run_id"] = r.run_id;
  j["started_at"] = r.started_at;
  j["bucket"] = r.bucket;
  j["run_prefix"] = r.run_prefix;
  j["endpoints"] = r.endpoints;
  j["settings"] = {{"mix", o.mix.ToString()},
                   {"sizes", o.sizes.ToString()},
                   {"mean_size", std::llround(o.sizes.Mean())},
                   {"concurrency", o.concurrency},
                   {"duration_s", o.duration},
                   {"warmup_s", o.warmup},
                   {"rate", o.rate},
                   {"objects", r.objects},
                   {"delete_batch", o.delete_batch},
                   {"part_size", o.part_size},
                   {"multipart_threshold", o.multipart_threshold},
                   {"keep_data", o.keep_data}};
  j["interrupted"] = r.interrupted;
  j["phases"] = json::array();
  for (const PhaseResult& p : r.phases) {
    json pj;
    pj["concurrency"] = p.concurrency;
    pj["rate"] = p.rate;
    pj["seconds"] = Round(p.seconds, 3);
    pj["interrupted"] = p.interrupted;
    pj["unsent"] = p.unsent;
    pj["operations"] = OpsJson(p.ops, p.seconds);
    pj["endpoints"] = json::array();
    for (size_t e = 0; e < p.endpoints.size(); ++e) {
      pj["endpoints"].push_back(
          {{"endpoint", r.endpoints[e]}, {"operations", OpsJson(p.endpoints[e], p.seconds)}});
    }
    json warm = json::object();
    for (int i = 0; i < kOpCount; ++i) {
      if (p.warmup_requests[i])
        warm[std::string(OpName(static_cast<Op>(i)))] = p.warmup_requests[i];
    }
    pj["warmup_requests"] = warm;
    pj["warmup_errors"] = p.warmup_errors;
    pj["client_cpu"] = {{"cores", Round(p.cpu.cores, 3)},
                        {"busiest_thread", Round(p.cpu.busiest_thread, 3)},
                        {"online_cores", p.cpu.online_cores},
                        {"client_bound", p.cpu.client_bound()}};
    pj["time_series"] = json::array();
    for (size_t s = 0; s < p.series.size(); ++s) {
      const SecondStats& sec = p.series[s];
      pj["time_series"].push_back({{"second", s},
                                   {"ops", sec.ops},
                                   {"mib", Round(sec.bytes / 1048576.0, 3)},
                                   {"errors", sec.errors},
                                   {"p50_ms", Ms(sec.latency_us.Percentile(50))},
                                   {"p99_ms", Ms(sec.latency_us.Percentile(99))}});
    }
    j["phases"].push_back(pj);
  }
  j["saturation"] = nullptr;
  if (r.saturation >= 0) {
    j["saturation"] = {{"phase", r.saturation},
                       {"concurrency", r.phases[r.saturation].concurrency}};
  }
  j["prepare"] = {{"objects", r.prepare.objects},
                  {"bytes", r.prepare.bytes},
                  {"seconds", Round(r.prepare.seconds, 3)},
                  {"errors", r.prepare.errors}};
  j["cleanup"] = {{"skipped", o.keep_data},
                  {"objects", r.cleanup.objects},
                  {"seconds", Round(r.cleanup.seconds, 3)},
                  {"errors", r.cleanup.errors}};
  j["requests"] = json::array();
  for (size_t e = 0; e < r.requests.size(); ++e) {
    json ej = {{"endpoint", r.endpoints[e]}};
    uint64_t total = 0;
    for (const auto& [api, n] : r.requests[e]) {
      ej[api] = n;
      total += n;
    }
    ej["total"] = total;
    j["requests"].push_back(ej);
  }
  return j;
}

// NOLINTNEXTLINE(readability-function-size): the report's lines in print order
std::string FormatReport(const BenchReport& r) {
  const BenchOptions& o = r.options;
  std::string out;
  out += Line("gwsync bench: s3://%s/%s on %zu endpoint%s", r.bucket.c_str(), r.run_prefix.c_str(),
              r.endpoints.size(), r.endpoints.size() == 1 ? "" : "s");
  out += Line("mix %s; sizes %s; %g s per phase after %g s warm-up; %s", o.mix.ToString().c_str(),
              o.sizes.ToString().c_str(), o.duration, o.warmup,
              o.rate > 0 ? "open loop" : "closed loop");
  if (r.objects) {
    out += Line("working set: %d objects (%s) written in %.1f s, not counted", r.objects,
                FormatSize(r.prepare.bytes).c_str(), r.prepare.seconds);
  }
  for (const PhaseResult& p : r.phases) {
    out += "\n" + Line("%s: %.1f s measured%s", PhaseLabel(p.concurrency, p.rate).c_str(),
                       p.seconds, p.interrupted ? " (interrupted)" : "");
    out += kHeader;
    int used = 0;
    for (int i = 0; i < kOpCount; ++i) {
      if (!Used(p.ops[i])) continue;
      ++used;
      out += OpRow(std::string(OpName(static_cast<Op>(i))), p.ops[i], p.seconds);
    }
    if (used > 1) out += OpRow("total", Total(p.ops), p.seconds);
    if (p.endpoints.size() > 1) {
      out += "per endpoint (all operations):\n";
      for (size_t e = 0; e < p.endpoints.size(); ++e) {
        out += Line("  %s", r.endpoints[e].c_str());
        for (int i = 0; i < kOpCount; ++i) {
          if (Used(p.endpoints[e][i])) {
            out +=
                "  " + OpRow(std::string(OpName(static_cast<Op>(i))), p.endpoints[e][i], p.seconds);
          }
        }
      }
    }
    for (int i = 0; i < kOpCount; ++i) {
      std::string errors = ErrorText(p.ops[i]);
      if (!errors.empty())
        out +=
            Line("errors, %s: %s", std::string(OpName(static_cast<Op>(i))).c_str(), errors.c_str());
    }
    if (p.warmup_errors) {
      out += Line("errors during the warm-up (not counted above): %llu",
                  static_cast<unsigned long long>(p.warmup_errors));
    }
    if (p.unsent) {
      out += Line(
          "WARNING: %llu scheduled operations were never sent: the gateway (or the "
          "in-flight cap, --concurrency) could not keep up with --rate",
          static_cast<unsigned long long>(p.unsent));
    }
    if (!p.series.empty()) {
      uint64_t lo = UINT64_MAX, hi = 0;
      size_t full = static_cast<size_t>(p.seconds);  // the last second may be partial
      for (size_t s = 0; s < std::max<size_t>(1, std::min(full, p.series.size())); ++s) {
        lo = std::min(lo, p.series[s].ops);
        hi = std::max(hi, p.series[s].ops);
      }
      out += Line("per second: %llu to %llu ops", static_cast<unsigned long long>(lo),
                  static_cast<unsigned long long>(hi));
    }
    out += Line("client CPU: %.2f cores of %d, busiest thread %.0f%% of a core", p.cpu.cores,
                p.cpu.online_cores, 100 * p.cpu.busiest_thread);
    if (p.cpu.client_bound()) {
      out += Line(
          "WARNING: the client, not the gateway, may be the limit (its busiest thread "
          "above 80%% of a core, or all its threads above 80%% of the cores): run bench "
          "from another machine or several");
    }
  }
  if (r.phases.size() > 1) {
    out += "\nconcurrency sweep:\n";
    out += Line("%11s %10s %9s %9s %9s", "concurrency", "ops/s", "MiB/s", "p50 ms", "p99 ms");
    for (const PhaseResult& p : r.phases) {
      OpStats t = Total(p.ops);
      out += Line("%11d %10.1f %9.2f %9.2f %9.2f", p.concurrency, OpsPerSecond(t, p.seconds),
                  MibPerSecond(t, p.seconds), Ms(t.latency_us.Percentile(50)),
                  Ms(t.latency_us.Percentile(99)));
    }
    if (r.saturation >= 0) {
      out += Line("saturation: concurrency %d (beyond it ops/s grows < 10%% while p99 rises)",
                  r.phases[r.saturation].concurrency);
    } else {
      out += "saturation: not reached (ops/s still grew by 10% or more, or p99 did not rise)\n";
    }
  }
  if (o.keep_data) {
    out += Line("\nkept the data under s3://%s/%s (--keep-data)", r.bucket.c_str(),
                r.run_prefix.c_str());
  } else {
    out += Line("\ncleaned up: %llu objects deleted in %.1f s%s",
                static_cast<unsigned long long>(r.cleanup.objects), r.cleanup.seconds,
                r.cleanup.errors ? (", with errors: " + r.cleanup.first_error).c_str() : "");
  }
  return out;
}

std::string SeriesCsv(const BenchReport& r) {
  std::string out = "phase,concurrency,second,ops,ops_per_s,mib_per_s,errors,p50_ms,p99_ms\n";
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseResult& p = r.phases[i];
    for (size_t s = 0; s < p.series.size(); ++s) {
      const SecondStats& sec = p.series[s];
      // The last second may be cut short by the end of the window.
      double len = std::clamp(p.seconds - static_cast<double>(s), 0.001, 1.0);
      out += Line("%zu,%d,%zu,%llu,%.1f,%.3f,%llu,%.3f,%.3f", i, p.concurrency, s,
                  static_cast<unsigned long long>(sec.ops), sec.ops / len,
                  sec.bytes / 1048576.0 / len, static_cast<unsigned long long>(sec.errors),
                  Ms(sec.latency_us.Percentile(50)), Ms(sec.latency_us.Percentile(99)));
    }
  }
  return out;
}

StatusOr<json> LoadReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read '" + path + "': " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  json j = json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("'" + path + "' is not JSON");
  if (!j.is_object() || !j.contains("schema_version") || !j.contains("phases") ||
      !j["phases"].is_array()) {
    return InvalidArgument("'" + path + "' is not a gwsync bench report (written by --json)");
  }
  if (j["schema_version"] != kReportSchemaVersion) {
    return InvalidArgument("'" + path + "' has schema_version " + j["schema_version"].dump() +
                           "; this gwsync reads version " + std::to_string(kReportSchemaVersion));
  }
  return j;
}

std::vector<CompareRow> Compare(const json& before, const json& after, const CompareThresholds& th,
                                std::vector<std::string>* unmatched) {
  std::vector<CompareRow> rows;
  auto num = [](const json& j, const char* a, const char* b = nullptr) -> double {
    const json* v = j.contains(a) ? &j[a] : nullptr;
    if (v && b) v = v->contains(b) ? &(*v)[b] : nullptr;
    return v && v->is_number() ? v->get<double>() : 0;
  };
  for (const json& pb : before["phases"]) {
    const json* pa = nullptr;
    for (const json& p : after["phases"]) {
      if (p.value("concurrency", 0) == pb.value("concurrency", 0) &&
          p.value("rate", 0.0) == pb.value("rate", 0.0)) {
        pa = &p;
        break;
      }
    }
    std::string label = PhaseLabel(pb.value("concurrency", 0), pb.value("rate", 0.0));
    if (!pa) {
      if (unmatched) unmatched->push_back(label + ": only in the first report");
      continue;
    }
    for (const auto& [op, ob] : pb["operations"].items()) {
      if (!(*pa)["operations"].contains(op)) {
        if (unmatched) unmatched->push_back(label + ", " + op + ": only in the first report");
        continue;
      }
      const json& oa = (*pa)["operations"][op];
      // op named in the capture: clang (and so clang-tidy) 14 cannot capture
      // a structured binding.
      auto add = [&, &op = op](const std::string& figure, double b, double a, int direction) {
        CompareRow row{label, op, figure, b, a, 0, false};
        if (b != 0) row.change_pct = (a - b) / b * 100;
        if (direction < 0) {  // higher is better
          row.regression = b > 0 && row.change_pct < -th.throughput_pct;
        } else if (direction > 0) {  // lower is better
          row.regression = b > 0 ? row.change_pct > th.latency_pct : a > 0;
        }
        rows.push_back(row);
      };
      add("ops/s", num(ob, "ops_per_s"), num(oa, "ops_per_s"), -1);
      if (num(ob, "bytes") > 0 || num(oa, "bytes") > 0) {
        add("MiB/s", num(ob, "mib_per_s"), num(oa, "mib_per_s"), -1);
      }
      for (const char* p : {"p50", "p90", "p99", "p99.9"}) {
        add(std::string(p) + " ms", num(ob, "latency_ms", p), num(oa, "latency_ms", p), 1);
      }
      add("max ms", num(ob, "latency_ms", "max"), num(oa, "latency_ms", "max"), 0);
      if (ob.contains("ttfb_ms") || oa.contains("ttfb_ms")) {
        add("ttfb p50 ms", num(ob, "ttfb_ms", "p50"), num(oa, "ttfb_ms", "p50"), 1);
        add("ttfb p99 ms", num(ob, "ttfb_ms", "p99"), num(oa, "ttfb_ms", "p99"), 1);
      }
      add("errors", num(ob, "errors", "total"), num(oa, "errors", "total"), 1);
    }
  }
  if (unmatched) {
    for (const json& pa : after["phases"]) {
      bool found = false;
      for (const json& pb : before["phases"]) {
        found |= pa.value("concurrency", 0) == pb.value("concurrency", 0) &&
                 pa.value("rate", 0.0) == pb.value("rate", 0.0);
      }
      if (!found) {
        unmatched->push_back(PhaseLabel(pa.value("concurrency", 0), pa.value("rate", 0.0)) +
                             ": only in the second report");
      }
    }
  }
  return rows;
}

std::string FormatComparison(const std::vector<CompareRow>& rows,
                             const std::vector<std::string>& unmatched,
                             const CompareThresholds& th) {
  std::string out = Line(
      "regression: ops/s or MiB/s down more than %g%%, latency (p50 to p99.9, ttfb) or errors up "
      "more than %g%%; max latency is shown, never flagged",
      th.throughput_pct, th.latency_pct);
  std::string phase;
  int regressions = 0;
  for (const CompareRow& r : rows) {
    if (r.phase != phase) {
      phase = r.phase;
      out += "\n" + phase + "\n";
      out += Line("%-8s %-12s %12s %12s %9s", "op", "figure", "before", "after", "change");
    }
    char change[32];
    if (r.before == 0) {
      std::snprintf(change, sizeof(change), "%s", r.after == 0 ? "=" : "new");
    } else {
      std::snprintf(change, sizeof(change), "%+.1f%%", r.change_pct);
    }
    out += Line("%-8s %-12s %12.2f %12.2f %9s%s", r.op.c_str(), r.figure.c_str(), r.before, r.after,
                change, r.regression ? "  REGRESSION" : "");
    regressions += r.regression;
  }
  for (const std::string& u : unmatched) out += Line("not compared: %s", u.c_str());
  out += Line("\n%d regression%s", regressions, regressions == 1 ? "" : "s");
  return out;
}

}  // namespace gwsync::loadgen
