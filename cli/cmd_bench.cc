// gwsync bench s3://BUCKET[/PREFIX]: load a gateway and report what it did;
// gwsync bench compare A.json B.json: what changed between two runs.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "gwsync/interrupt.h"
#include "gwsync/printable.h"
#include "gwsync/units.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"

namespace gwsync::cli {
namespace {

struct BenchFlags {
  std::string target;
  std::string op, mix, size, sizes, sizes_from;
  std::string concurrency;
  std::string duration = "30s", warmup = "5s";
  double rate = 0;
  int objects = 0;
  int delete_batch = 100;
  uint64_t seed = 0;
  bool keep_data = false;
  std::string json_file, csv_file;
  // compare
  std::string before, after;
  double throughput_pct = 5, latency_pct = 10;
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

// The workload and its limits from the flags (no I/O).
StatusOr<loadgen::BenchOptions> ResolveBench(const GlobalFlags& g, const BenchFlags& f) {
  loadgen::BenchOptions o;
  ASSIGN_OR_RETURN(s3::S3Url url, s3::ParseS3Url(f.target));
  if (url.bucket.empty()) return InvalidArgument("bench needs a bucket: s3://BUCKET[/PREFIX]");
  o.bucket = url.bucket;
  o.prefix = url.key;
  if (!f.op.empty() && !f.mix.empty()) return InvalidArgument("give --op or --mix, not both");
  if (!f.mix.empty()) {
    ASSIGN_OR_RETURN(o.mix, loadgen::Mix::Parse(f.mix));
  } else {
    ASSIGN_OR_RETURN(loadgen::Op op, loadgen::ParseOp(f.op.empty() ? "put" : f.op));
    o.mix = loadgen::Mix::Single(op);
  }
  int size_flags = !f.size.empty() + !f.sizes.empty() + !f.sizes_from.empty();
  if (size_flags > 1) return InvalidArgument("give one of --size, --sizes and --sizes-from");
  if (!f.sizes.empty() || !f.size.empty()) {
    ASSIGN_OR_RETURN(o.sizes, loadgen::SizeDistribution::Parse(f.sizes.empty() ? f.size : f.sizes));
  } else if (f.sizes_from.empty()) {
    ASSIGN_OR_RETURN(o.sizes, loadgen::SizeDistribution::Parse(
                                  o.mix.Has(loadgen::Op::kMultipartPut) ? "64MiB" : "4KiB"));
  }
  if (!f.concurrency.empty()) {
    ASSIGN_OR_RETURN(o.concurrency, loadgen::ParseConcurrencyList(f.concurrency));
  } else {
    o.concurrency = {g.concurrency > 0 ? g.concurrency : (f.rate > 0 ? 256 : 16)};
  }
  ASSIGN_OR_RETURN(o.duration, loadgen::ParseSeconds(f.duration));
  ASSIGN_OR_RETURN(o.warmup, loadgen::ParseSeconds(f.warmup));
  if (o.duration <= 0) return InvalidArgument("--duration must be above 0");
  if (f.rate < 0) return InvalidArgument("--rate must not be negative");
  if (f.objects < 0) return InvalidArgument("--objects must not be negative");
  if (f.delete_batch < 1 || f.delete_batch > 1000) {
    return InvalidArgument("--delete-batch must be from 1 to 1000 (the S3 limit)");
  }
  o.rate = f.rate;
  o.objects = f.objects;
  o.delete_batch = f.delete_batch;
  o.keep_data = f.keep_data;
  o.seed = f.seed;
  ASSIGN_OR_RETURN(o.part_size, ParseSize(g.part_size));
  ASSIGN_OR_RETURN(o.multipart_threshold, ParseSize(g.multipart_threshold));
  if (!g.max_body_size.empty()) {
    ASSIGN_OR_RETURN(uint64_t max_body, ParseSize(g.max_body_size));
    o.part_size = std::min(o.part_size, max_body);
    o.multipart_threshold = std::min(o.multipart_threshold, max_body);
  }
  if (o.part_size < (5u << 20)) return InvalidArgument("--part-size must be at least 5MiB");
  return o;
}

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { Clear(); }
  void Update(const loadgen::Progress& p) {
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
  auto options = ResolveBench(g, f);
  if (!options.ok()) return Fail(options.status());
  int top = *std::max_element(options->concurrency.begin(), options->concurrency.end());
  // Every failure is a measurement: no retries. The pool holds no request
  // back below the level asked for (it still halves it on throttling).
  auto ctx = Context::Create(g, [top](s3::ClientOptions* c, http::TransportOptions* t) {
    c->pool.max_attempts = 1;
    c->pool.max_concurrency = top;
    c->pool.initial_concurrency = top;
    t->max_connections_per_host = top;
    t->max_total_connections = std::max(t->max_total_connections, top * 4);
  });
  if (!ctx.ok()) return Fail(ctx.status());
  const s3::Client& client = (*ctx)->client();
  auto say = [&](const std::string& line) {
    if (!g.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  };

  if (!f.sizes_from.empty()) {
    auto url = s3::ParseS3Url(f.sizes_from);
    if (!url.ok()) return Fail(url.status());
    constexpr size_t kLimit = 1000000;
    auto sizes = loadgen::ListSizes(client, url->bucket, url->key, kLimit);
    if (!sizes.ok()) return Fail(sizes.status().Annotate("--sizes-from"));
    auto dist = loadgen::SizeDistribution::FromSample(*sizes);
    if (!dist.ok()) return Fail(dist.status().Annotate("--sizes-from " + f.sizes_from));
    options->sizes = *dist;
    say("sizes from " + f.sizes_from + ": " + std::to_string(sizes->size()) + " objects" +
        (sizes->size() == kLimit ? " (the first million)" : "") + ", mean " +
        FormatSize(static_cast<uint64_t>(dist->Mean())));
    for (const auto& [upto, n] : loadgen::Log2Histogram(*sizes)) {
      say("  up to " + FormatSize(upto) + ": " + std::to_string(n));
    }
  }

  bool json_stdout = f.json_file == "-";
  ProgressLine progress(isatty(STDERR_FILENO) && !g.quiet);
  options->on_progress = [&progress](const loadgen::Progress& p) { progress.Update(p); };
  options->on_note = [&](const std::string& line) {
    progress.Clear();
    say(line);
  };
  // First signal: stop the run and clean up. Second: stop now.
  options->stop = StopFlag();
  auto report = [&] {
    StopScope scope(std::chrono::milliseconds::max(), [&](int sig) {
      std::fprintf(stderr, "\ngwsync: interrupted by %s: cleaning up (again to stop at once)\n",
                   SignalName(sig));
    });
    return loadgen::RunBench(client, *options);
  }();
  progress.Clear();
  if (!report.ok()) return Fail(report.status());

  if (!g.quiet && !json_stdout) std::printf("%s", loadgen::FormatReport(*report).c_str());
  if (!f.json_file.empty()) {
    Status s = WriteText(f.json_file, loadgen::ReportToJson(*report).dump(2) + "\n");
    if (!s.ok()) return Fail(s);
  }
  if (!f.csv_file.empty()) {
    Status s = WriteText(f.csv_file, loadgen::SeriesCsv(*report));
    if (!s.ok()) return Fail(s);
  }
  if (report->cleanup.errors) {
    std::fprintf(stderr, "gwsync: clean-up left data under s3://%s/%s: %s\n",
                 report->bucket.c_str(), report->run_prefix.c_str(),
                 Printable(report->cleanup.first_error).c_str());
    return 1;
  }
  return report->interrupted ? 128 + StopSignal() : 0;
}

int RunCompare(const BenchFlags& f) {
  auto before = loadgen::LoadReport(f.before);
  if (!before.ok()) return Fail(before.status());
  auto after = loadgen::LoadReport(f.after);
  if (!after.ok()) return Fail(after.status());
  loadgen::CompareThresholds th{f.throughput_pct, f.latency_pct};
  std::vector<std::string> unmatched;
  auto rows = loadgen::Compare(*before, *after, th, &unmatched);
  std::printf("gwsync bench compare: %s (run %s) -> %s (run %s)\n", f.before.c_str(),
              before->value("run_id", "?").c_str(), f.after.c_str(),
              after->value("run_id", "?").c_str());
  std::printf("%s", loadgen::FormatComparison(rows, unmatched, th).c_str());
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
  cmp->add_option("before", f->before, "the earlier report")->required();
  cmp->add_option("after", f->after, "the later report")->required();
  cmp->add_option("--throughput-threshold", f->throughput_pct,
                  "flag ops/s or MiB/s down by more than this many percent (default 5)");
  cmp->add_option("--latency-threshold", f->latency_pct,
                  "flag latency or errors up by more than this many percent (default 10)");
  cmd->require_subcommand(0, 1);
  cmp->callback([run, f] { *run = [f] { return RunCompare(*f); }; });
  cmd->callback([cmd, cmp, &flags, run, f] {
    if (cmp->parsed()) return;
    if (f->target.empty()) throw CLI::RequiredError("target s3://BUCKET[/PREFIX]");
    *run = [&flags, f] { return RunBenchCommand(flags, *f); };
  });
  (void)cmd;
}

}  // namespace gwsync::cli
