// gwsync bench s3://BUCKET[/PREFIX]: load a gateway and report what it did;
// gwsync bench compare A.json B.json: what changed between two runs.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "cli/app.h"
#include "gwsync/bench.h"
#include "gwsync/interrupt.h"
#include "gwsync/printable.h"

namespace gwsync::cli {
namespace {

// The library's request, where to write the report, and compare's own.
struct BenchFlags : BenchRequest {
  std::string json_file, csv_file;
  BenchCompareRequest compare;
};

Status WriteText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return InvalidArgument("cannot write '" + path + "'");
  return Status::Ok();
}

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { Clear(); }
  void Update(const BenchProgress& p) {
    if (!enabled_) return;
    shown_ = true;
    double rate = p.elapsed > 0 ? p.ops / p.elapsed : 0;
    double mib = p.elapsed > 0 ? p.bytes / 1048576.0 / p.elapsed : 0;
    char when[32] = "";
    if (p.length > 0) std::snprintf(when, sizeof(when), "/%.0f", p.length);
    std::fprintf(
        stderr, "\r\033[K%s%s %.1f%s s: %llu ops, %.1f ops/s, %.2f MiB/s, %llu errors",
        p.stage.c_str(),
        p.concurrency ? (" (concurrency " + std::to_string(p.concurrency) + ")").c_str() : "",
        p.elapsed, when, static_cast<unsigned long long>(p.ops), rate, mib,
        static_cast<unsigned long long>(p.errors));
  }
  void Clear() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

int RunBenchCommand(const GlobalFlags& g, const BenchFlags& f) {
  BenchRequest request = f;
  bool json_stdout = f.json_file == "-";
  ProgressLine progress(isatty(STDERR_FILENO) && !g.quiet);
  request.on_progress = [&progress](const BenchProgress& p) { progress.Update(p); };
  request.on_note = [&](const std::string& line) {
    progress.Clear();
    if (!g.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  };
  // First signal: stop the run and clean up. Second: stop now.
  request.stop = StopFlag();
  WarnInsecure(g);
  auto report = [&] {
    StopScope scope(std::chrono::milliseconds::max(), [&](int sig) {
      std::fprintf(stderr, "\ngwsync: interrupted by %s: cleaning up (again to stop at once)\n",
                   SignalName(sig));
    });
    return Bench(g, request);
  }();
  progress.Clear();
  if (!report.ok()) return Fail(report.status());

  if (!g.quiet && !json_stdout) std::printf("%s", report->text.c_str());
  if (!f.json_file.empty()) {
    Status s = WriteText(f.json_file, report->json);
    if (!s.ok()) return Fail(s);
  }
  if (!f.csv_file.empty()) {
    Status s = WriteText(f.csv_file, report->csv);
    if (!s.ok()) return Fail(s);
  }
  if (report->cleanup_errors) {
    std::fprintf(stderr, "gwsync: clean-up left data under s3://%s/%s: %s\n",
                 report->bucket.c_str(), report->run_prefix.c_str(),
                 Printable(report->cleanup_first_error).c_str());
    return 1;
  }
  return report->interrupted ? 128 + StopSignal() : 0;
}

int RunCompare(const BenchCompareRequest& request) {
  auto text = CompareBench(request);
  if (!text.ok()) return Fail(text.status());
  std::printf("%s", text->c_str());
  return 0;
}

}  // namespace

void AddBenchCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<BenchFlags>();
  auto* cmd =
      app.add_subcommand("bench",
                         "measure a gateway: PUT/GET/HEAD/LIST/DELETE load under a fresh prefix of "
                         "s3://BUCKET[/PREFIX], which must be empty (or the bucket missing)");
  cmd->add_option("target", f->target, "s3://BUCKET[/PREFIX]");
  cmd->add_option("--op", f->op, "one operation: put (default), get, head, list, delete, mpput");
  cmd->add_option("--mix", f->mix, "operations with weights, e.g. get=45,head=30,put=15,delete=10");
  cmd->add_option("--size", f->size, "object size, or a list picked evenly (default 4KiB)");
  cmd->add_option("--sizes", f->sizes, "size distribution, e.g. 4KiB:70,1MiB:25,64MiB:5");
  cmd->add_option("--sizes-from", f->sizes_from,
                  "replay the object sizes of s3://BUCKET[/PREFIX] (its listing)");
  cmd->add_option("--concurrency", f->concurrency,
                  "operations in flight (default 16), or a sweep: 1,4,16,64");
  cmd->add_option("--duration", f->duration, "measured time per level (default 30s)");
  cmd->add_option("--warmup", f->warmup, "uncounted time before each level (default 5s)");
  cmd->add_option("--rate", f->rate,
                  "open loop: start this many operations per second, latency counted from each "
                  "one's scheduled start (--concurrency caps those in flight, default 256)");
  cmd->add_option("--objects", f->objects,
                  "objects written first for get/head/list/delete (default 1000, at most 1GiB; "
                  "5000 for delete alone)");
  cmd->add_option("--delete-batch", f->delete_batch,
                  "keys per DeleteObjects request (default 100)");
  cmd->add_option("--seed", f->seed, "seed for the operation and size draws (default random)");
  cmd->add_flag("--keep-data", f->keep_data, "do not delete what the run wrote");
  cmd->add_option("--json", f->json_file, "write the report as JSON to FILE (- for stdout)")
      ->type_name("FILE");
  cmd->add_option("--csv", f->csv_file, "write the per-second series as CSV to FILE")
      ->type_name("FILE");

  auto* cmp = cmd->add_subcommand("compare", "compare two --json reports: change of each figure");
  cmp->add_option("before", f->compare.before, "the earlier report")->required();
  cmp->add_option("after", f->compare.after, "the later report")->required();
  cmp->add_option("--throughput-threshold", f->compare.throughput_pct,
                  "flag ops/s or MiB/s down by more than this many percent (default 5)");
  cmp->add_option("--latency-threshold", f->compare.latency_pct,
                  "flag latency or errors up by more than this many percent (default 10)");
  cmd->require_subcommand(0, 1);
  cmp->callback([run, f] { *run = [f] { return RunCompare(f->compare); }; });
  cmd->callback([cmd, cmp, &flags, run, f] {
    if (cmp->parsed()) return;
    if (f->target.empty()) throw CLI::RequiredError("target s3://BUCKET[/PREFIX]");
    *run = [&flags, f] { return RunBenchCommand(flags, *f); };
  });
  (void)cmd;
}

}  // namespace gwsync::cli
