// gwsync::Bench and CompareBench (gwsync/bench.h): the request parsed into
// loadgen's options, run on a Gateway whose requests are not retried, and
// the report rendered as text, JSON and CSV.
#include "gwsync/bench.h"

#include <algorithm>

#include "api/gateway_impl.h"
#include "gwsync/units.h"
#include "gwsync/url.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"

namespace gwsync {
namespace {

// The operations and their sizes (no I/O).
Status ResolveWorkload(const BenchRequest& r, loadgen::BenchOptions* o) {
  if (!r.op.empty() && !r.mix.empty()) return InvalidArgument("give --op or --mix, not both");
  if (!r.mix.empty()) {
    ASSIGN_OR_RETURN(o->mix, loadgen::Mix::Parse(r.mix));
  } else {
    ASSIGN_OR_RETURN(loadgen::Op op, loadgen::ParseOp(r.op.empty() ? "put" : r.op));
    o->mix = loadgen::Mix::Single(op);
  }
  int size_flags = !r.size.empty() + !r.sizes.empty() + !r.sizes_from.empty();
  if (size_flags > 1) return InvalidArgument("give one of --size, --sizes and --sizes-from");
  if (!r.sizes.empty() || !r.size.empty()) {
    ASSIGN_OR_RETURN(o->sizes,
                     loadgen::SizeDistribution::Parse(r.sizes.empty() ? r.size : r.sizes));
  } else if (r.sizes_from.empty()) {
    ASSIGN_OR_RETURN(o->sizes, loadgen::SizeDistribution::Parse(
                                   o->mix.Has(loadgen::Op::kMultipartPut) ? "64MiB" : "4KiB"));
  }
  return Status::Ok();
}

// The workload and its limits from the request (no I/O).
StatusOr<loadgen::BenchOptions> ResolveBench(const GatewayOptions& g, const BenchRequest& r) {
  loadgen::BenchOptions o;
  ASSIGN_OR_RETURN(S3Url url, ParseS3Url(r.target));
  if (url.bucket.empty()) return InvalidArgument("bench needs a bucket: s3://BUCKET[/PREFIX]");
  o.bucket = url.bucket;
  o.prefix = url.key;
  RETURN_IF_ERROR(ResolveWorkload(r, &o));
  if (!r.concurrency.empty()) {
    ASSIGN_OR_RETURN(o.concurrency, loadgen::ParseConcurrencyList(r.concurrency));
  } else {
    o.concurrency = {g.concurrency > 0 ? g.concurrency : (r.rate > 0 ? 256 : 16)};
  }
  ASSIGN_OR_RETURN(o.duration, loadgen::ParseSeconds(r.duration));
  ASSIGN_OR_RETURN(o.warmup, loadgen::ParseSeconds(r.warmup));
  if (o.duration <= 0) return InvalidArgument("--duration must be above 0");
  if (r.rate < 0) return InvalidArgument("--rate must not be negative");
  if (r.objects < 0) return InvalidArgument("--objects must not be negative");
  if (r.delete_batch < 1 || r.delete_batch > 1000) {
    return InvalidArgument("--delete-batch must be from 1 to 1000 (the S3 limit)");
  }
  o.rate = r.rate;
  o.objects = r.objects;
  o.delete_batch = r.delete_batch;
  o.keep_data = r.keep_data;
  o.seed = r.seed;
  ASSIGN_OR_RETURN(o.part_size, ParseSize(g.part_size));
  ASSIGN_OR_RETURN(o.multipart_threshold, ParseSize(g.multipart_threshold));
  if (!g.max_body_size.empty()) {
    ASSIGN_OR_RETURN(uint64_t max_body, ParseSize(g.max_body_size));
    o.part_size = std::min(o.part_size, max_body);
    o.multipart_threshold = std::min(o.multipart_threshold, max_body);
  }
  if (o.part_size < (5u << 20)) return InvalidArgument("--part-size must be at least 5MiB");
  o.stop = r.stop;
  o.on_progress = r.on_progress;
  o.on_note = r.on_note;
  return o;
}

// --sizes-from: the sizes of the objects under an s3:// prefix, said as notes.
Status SizesFrom(const s3::Client& client, const BenchRequest& r, loadgen::BenchOptions* o) {
  auto note = [&](const std::string& line) {
    if (r.on_note) r.on_note(line);
  };
  ASSIGN_OR_RETURN(S3Url url, ParseS3Url(r.sizes_from));
  constexpr size_t kLimit = 1000000;
  auto sizes = loadgen::ListSizes(client, url.bucket, url.key, kLimit);
  if (!sizes.ok()) return sizes.status().Annotate("--sizes-from");
  auto dist = loadgen::SizeDistribution::FromSample(*sizes);
  if (!dist.ok()) return dist.status().Annotate("--sizes-from " + r.sizes_from);
  o->sizes = *dist;
  note("sizes from " + r.sizes_from + ": " + std::to_string(sizes->size()) + " objects" +
       (sizes->size() == kLimit ? " (the first million)" : "") + ", mean " +
       FormatSize(static_cast<uint64_t>(dist->Mean())));
  for (const auto& [upto, n] : loadgen::Log2Histogram(*sizes)) {
    note("  up to " + FormatSize(upto) + ": " + std::to_string(n));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<BenchResult> Bench(const GatewayOptions& gateway, const BenchRequest& request) {
  ASSIGN_OR_RETURN(loadgen::BenchOptions options, ResolveBench(gateway, request));
  int top = *std::max_element(options.concurrency.begin(), options.concurrency.end());
  // Every failure is a measurement: no retries. The pool holds no request
  // back below the level asked for (it still halves it on throttling).
  ASSIGN_OR_RETURN(auto opened, api::GatewayAccess::Open(gateway, [top](s3::ClientOptions* c,
                                                                        http::TransportOptions* t) {
                     c->pool.max_attempts = 1;
                     c->pool.max_concurrency = top;
                     c->pool.initial_concurrency = top;
                     t->max_connections_per_host = top;
                     t->max_total_connections = std::max(t->max_total_connections, top * 4);
                   }));
  const s3::Client& client = api::GatewayAccess::Client(*opened);
  if (!request.sizes_from.empty()) RETURN_IF_ERROR(SizesFrom(client, request, &options));
  ASSIGN_OR_RETURN(loadgen::BenchReport report, loadgen::RunBench(client, std::move(options)));
  BenchResult out;
  out.run_id = report.run_id;
  out.bucket = report.bucket;
  out.run_prefix = report.run_prefix;
  out.interrupted = report.interrupted;
  out.cleanup_errors = report.cleanup.errors;
  out.cleanup_first_error = report.cleanup.first_error;
  out.text = loadgen::FormatReport(report);
  out.json = loadgen::ReportToJson(report).dump(2) + "\n";
  out.csv = loadgen::SeriesCsv(report);
  return out;
}

StatusOr<std::string> CompareBench(const BenchCompareRequest& request) {
  ASSIGN_OR_RETURN(nlohmann::json before, loadgen::LoadReport(request.before));
  ASSIGN_OR_RETURN(nlohmann::json after, loadgen::LoadReport(request.after));
  loadgen::CompareThresholds th{request.throughput_pct, request.latency_pct};
  std::vector<std::string> unmatched;
  auto rows = loadgen::Compare(before, after, th, &unmatched);
  return "gwsync bench compare: " + request.before + " (run " + before.value("run_id", "?") +
         ") -> " + request.after + " (run " + after.value("run_id", "?") + ")\n" +
         loadgen::FormatComparison(rows, unmatched, th);
}

}  // namespace gwsync
