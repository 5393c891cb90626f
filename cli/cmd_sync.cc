// gwsync sync: flags and printing only; the sync itself, its sides, the
// remotes, shares, the change feed and the report are the library's
// (gwsync/sync.h: SyncSession).
#include <sysexits.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/metrics.h"
#include "cli/progress.h"
#include "cli/sync_feed.h"
#include "gwsync/interrupt.h"
#include "gwsync/printable.h"
#include "gwsync/sync.h"
#include "gwsync/units.h"

namespace gwsync::cli {
namespace {

// What a signal gives the transfers in flight to end before gwsync stops at
// once (systemd waits 90 s by default before its SIGKILL).
constexpr std::chrono::milliseconds kStopGrace{10000};

// A sync's exit codes (docs/reference/exit-codes.md): the report's
// (SyncReport::ExitCode: 0, 1, 3); 2 a usage error; 75 another run holds
// the pair; 128+N stopped by signal N.
int ExitCodeOf(const SyncReport& r) { return r.ExitCode(); }

// An option given an empty value ("--metrics-file ''") is a usage error, not
// the option left out.
CLI::Validator NotEmpty() {
  return CLI::Validator([](std::string& v) { return v.empty() ? "an empty name" : ""; }, "",
                        "NotEmpty");
}

struct SyncFlags {
  std::string src, dst;
  bool delete_extra = false, dry_run = false, checksum = false, json = false, no_index = false;
  bool require_verified = false;
  bool force_delete = false, no_bucket_settings = false, apply_bucket_settings = false;
  bool no_manifest = false, manifest_bucket = false, manifest_sha256 = false;
  std::string manifest_path;
  bool preserve_owner = false, preserve_modes = false, preserve_special_bits = false,
       copy_links = false;
  bool create_empty_dirs = false, store_links = false, all_versions = false;
  std::string max_delete = "50%";
  std::vector<std::string> excludes, includes;
  std::string index_path, remotes_file;
  std::string shard, shard_plan;  // "I/N" or "auto"; a plan or bounds file
  std::string metrics_file, log_file;
  double wait_lock = 0;  // seconds to wait for another run of the pair
  int keep_manifests = 30;
  SyncFeedFlags feed;  // --changes, --follow, --heartbeat-every, --reconcile-every
};

// Each line of the summary goes to the terminal (stdout, or stderr for
// problems) and, with --log-file, to the log with a timestamp.
class Output {
 public:
  Output(bool quiet, LogFile* log) : quiet_(quiet), log_(log) {}
  __attribute__((format(printf, 2, 3))) void Out(const char* format, ...) {
    va_list args;
    va_start(args, format);
    Emit(stdout, !quiet_, format, args);
    va_end(args);
  }
  __attribute__((format(printf, 2, 3))) void Err(const char* format, ...) {
    va_list args;
    va_start(args, format);
    Emit(stderr, true, format, args);
    va_end(args);
  }
  void Log(const std::string& line) { log_->Line(line); }

 private:
  void Emit(std::FILE* to, bool show, const char* format, va_list args) {
    va_list again;
    va_copy(again, args);
    std::string line(static_cast<size_t>(std::max(0, std::vsnprintf(nullptr, 0, format, args))),
                     '\0');
    std::vsnprintf(line.data(), line.size() + 1, format, again);
    va_end(again);
    if (show) std::fprintf(to, "%s\n", line.c_str());
    log_->Line(line);
  }
  bool quiet_;
  LogFile* log_;
};

// One line per gateway after the summary, when a cluster has several.
void PrintGateways(const SyncSession& session) {
  for (const auto& [remote, stats] : session.Stats()) {
    if (stats.size() < 2) continue;
    for (const auto& e : stats) {
      std::printf(
          "gateway %s: %llu requests, %s up, %s down, %llu errors, %llu throttled, "
          "%llu timeouts, avg %.1f ms, max %.1f ms, concurrency %d..%d%s\n",
          e.name.c_str(), static_cast<unsigned long long>(e.requests),
          FormatSize(e.bytes_sent).c_str(), FormatSize(e.bytes_received).c_str(),
          static_cast<unsigned long long>(e.errors), static_cast<unsigned long long>(e.throttled),
          static_cast<unsigned long long>(e.timeouts), 1000 * e.latency_avg(), 1000 * e.latency_max,
          e.concurrency_min, e.concurrency_max, e.down ? ", down now" : "");
    }
  }
}

// NOLINTNEXTLINE(readability-function-size): exit paths share the log/metrics closures
int RunSyncCommand(const GlobalFlags& global, const SyncFlags& flags) {
  LogFile log;
  if (!flags.log_file.empty()) {
    if (Status s = log.Open(flags.log_file); !s.ok()) return Fail(s);
  }
  Output output(global.quiet || flags.json, &log);
  output.Log("sync " + flags.src + " " + flags.dst + (flags.dry_run ? " (dry run)" : "") +
             ": started");
  auto started = std::chrono::steady_clock::now();
  // False when the file could not be written. A missing folder (no
  // node-exporter installed) is said once: the backup is not the worse for it.
  bool metrics_folder_missing = false;
  auto write_metrics = [&](const RunMetrics& m) {
    if (flags.metrics_file.empty() || metrics_folder_missing) return true;
    std::error_code ec;
    const auto folder = std::filesystem::path(flags.metrics_file).parent_path();
    if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
      metrics_folder_missing = true;
      output.Err(
          "gwsync: notice: metrics file '%s' not written: no folder '%s' (is "
          "node-exporter's textfile collector installed?)",
          Printable(flags.metrics_file).c_str(), Printable(folder.string()).c_str());
      return true;
    }
    if (Status s = WriteMetricsFile(flags.metrics_file, m); !s.ok()) {
      output.Err("gwsync: %s", Printable(s.message()).c_str());
      return false;
    }
    return true;
  };
  // The metrics file is written however the run ends, so that a job that
  // could not even start shows as failed.
  auto finish = [&](int code, const SyncReport* report, const SyncSession* session) {
    const bool interrupted = report && report->interrupted && StopSignal() != 0;
    if (interrupted) code = 128 + StopSignal();
    RunMetrics m;
    if (interrupted) m.interrupted_by = SignalName(StopSignal());
    m.source = flags.src;
    m.destination = flags.dst;
    m.dry_run = flags.dry_run;
    m.started = report != nullptr;
    m.report = report;
    if (session) m.gateways = session->Stats();
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    m.finished_at = std::time(nullptr);
    m.exit_code = code;
    if (!write_metrics(m) && code == 0) code = 1;
    output.Log("sync " + flags.src + " " + flags.dst + ": finished" +
               (interrupted ? ", interrupted by " + m.interrupted_by : "") + ", exit code " +
               std::to_string(code));
    return code;
  };
  // Stopped at once (a second signal, or the grace ran out): the metrics
  // file and the log still say how the run ended. On the signal's thread.
  LastWords last_words([&](int sig) {
    RunMetrics m;
    m.source = flags.src;
    m.destination = flags.dst;
    m.dry_run = flags.dry_run;
    m.started = true;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    m.finished_at = std::time(nullptr);
    m.exit_code = 128 + sig;
    m.interrupted_by = SignalName(sig);
    if (!flags.metrics_file.empty()) WriteMetricsFile(flags.metrics_file, m).IgnoreError();
    output.Log("sync " + flags.src + " " + flags.dst + ": finished, interrupted by " +
               m.interrupted_by + " (stopped at once), exit code " + std::to_string(128 + sig));
  });
  auto fail = [&](const Status& s) {
    output.Log("gwsync: " + s.message());
    int code = finish(Fail(s), nullptr, nullptr);
    if (flags.json) {  // a report also for a run that could not start
      nlohmann::json j = {{"source", flags.src}, {"destination", flags.dst}, {"started", false},
                          {"ok", false},         {"exit_code", code},        {"error_count", 1}};
      j["errors"] = nlohmann::json::array({{{"key", ""}, {"message", s.message()}}});
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
    return code;
  };

  SyncRequest request;
  request.source = flags.src;
  request.destination = flags.dst;
  request.delete_extra = flags.delete_extra;
  request.max_delete = flags.max_delete;
  request.force_delete = flags.force_delete;
  request.dry_run = flags.dry_run;
  request.checksum = flags.checksum;
  request.require_verified = flags.require_verified;
  request.exclude = flags.excludes;
  request.include = flags.includes;
  request.use_index = !flags.no_index;
  request.index_dir = flags.index_path;
  request.run_manifest = !flags.no_manifest;
  request.manifest_bucket = flags.manifest_bucket;
  request.manifest_path = flags.manifest_path;
  request.manifest_sha256 = flags.manifest_sha256;
  request.keep_manifests = flags.keep_manifests;
  request.bucket_settings = !flags.no_bucket_settings;
  request.apply_bucket_settings = flags.apply_bucket_settings;
  request.preserve_owner = flags.preserve_owner;
  request.preserve_modes = flags.preserve_modes;
  request.preserve_special_bits = flags.preserve_special_bits;
  request.copy_links = flags.copy_links;
  request.store_links = flags.store_links;
  request.create_empty_dirs = flags.create_empty_dirs;
  request.all_versions = flags.all_versions;
  request.remotes_file = flags.remotes_file;
  request.wait_lock = flags.wait_lock;
  request.shard = flags.shard;
  request.shard_plan = flags.shard_plan;

  WarnInsecure(global);
  auto opened = SyncSession::Open(global, flags.remotes_file);
  if (!opened.ok()) return fail(opened.status());
  SyncSession& session = **opened;
  if (isatty(STDERR_FILENO) && !global.quiet && !flags.json) {
    std::string hint = session.FolderNameHint(flags.src, flags.dst);
    if (!hint.empty()) std::fprintf(stderr, "gwsync: %s\n", Printable(hint).c_str());
  }

  request.feed = FeedRequestOf(flags.feed);
  request.feed.on_batch = [&output](const SyncReport& b) {
    uint64_t objects = 0;
    for (const auto& [name, t] : b.actions) objects += t.objects;
    output.Out("change feed: batch of %llu changes applied, %llu errors",
               static_cast<unsigned long long>(objects),
               static_cast<unsigned long long>(b.error_count));
  };
  request.feed.on_notice = [&output, &flags](const std::string& m) {
    if (flags.feed.follow) output.Err("gwsync: notice: %s", Printable(m).c_str());
  };
  // A follower never finishes: its metrics say how it is doing after each
  // batch (counts since it started, success of the last batch) and each
  // proof of the feed (an empty batch: a marker came back).
  request.feed.on_progress = [&](const SyncReport& batch, const SyncReport& total, bool proven) {
    RunMetrics m;
    m.source = flags.src;
    m.destination = flags.dst;
    m.started = true;
    m.report = &total;
    m.gateways = session.Stats();
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    m.finished_at = std::time(nullptr);
    m.exit_code = ExitCodeOf(batch);
    m.proven = proven;
    write_metrics(m);
  };

  ProgressLine progress(isatty(STDERR_FILENO) && !global.quiet && !flags.json,
                        [&session] { return session.Stats(); });
  request.on_progress = [&progress](const SyncProgress& p) { progress.Update(p); };
  if (flags.dry_run && !global.quiet && !flags.json) {
    request.on_planned = [&progress](std::string_view action, std::string_view key) {
      progress.Clear();
      std::printf("(dry run) %s %s\n", std::string(action).c_str(), Printable(key).c_str());
    };
  }

  // A signal stops the run: nothing new starts, what is in flight gets
  // kStopGrace to end (a second signal, or the grace running out, stops
  // at once; resumable partial downloads are kept for the next run).
  request.stop = StopFlag();
  auto report = [&] {
    StopScope scope(kStopGrace, [&](int sig) {
      output.Err(
          "gwsync: %s: stopping: nothing new starts, what is in flight has %d s to end "
          "(again to stop at once)",
          SignalName(sig), static_cast<int>(kStopGrace.count() / 1000));
    });
    return session.Run(request);
  }();
  progress.Clear();
  if (!report.ok() && report.status().code() == StatusCode::kAborted) {
    // Another run of the pair holds its lock: this one did nothing, and the
    // metrics file is that run's to write.
    output.Err("gwsync: %s", Printable(report.status().message()).c_str());
    int code = StopSignal() != 0 ? 128 + StopSignal() : EX_TEMPFAIL;
    output.Log("sync " + flags.src + " " + flags.dst + ": finished, not run, exit code " +
               std::to_string(code));
    return code;
  }
  if (!report.ok()) return fail(report.status());
  const SyncReport& r = *report;
  const std::optional<SyncShare>& share = session.share();
  if (flags.json) {
    int code = r.interrupted && StopSignal() != 0 ? 128 + StopSignal() : ExitCodeOf(r);
    std::printf("%s\n", session.ReportJson(r, request, code).c_str());
  }
  if (share) {
    output.Out("share %d of %d: keys after '%s' through '%s'", share->index, share->count,
               share->after ? share->after->c_str() : "(start)",
               share->through ? share->through->c_str() : "(end)");
  }
  for (const auto& [name, t] : r.actions) {
    output.Out("%-28s %8llu objects  %12s", name.c_str(),
               static_cast<unsigned long long>(t.objects), FormatSize(t.bytes).c_str());
  }
  if (r.key_store_count > 0) {
    output.Out(
        "%llu keys kept in the key store (.gwsync/keys/: keys a folder cannot hold as "
        "files of their own name)",
        static_cast<unsigned long long>(r.key_store_count));
  }
  for (const auto& m : r.manifests) output.Out("manifest: %s", Printable(m).c_str());
  if (r.manifests_removed > 0) {
    output.Out("manifests: %llu older run manifests removed (--keep-manifests %d)",
               static_cast<unsigned long long>(r.manifests_removed), flags.keep_manifests);
  }
  if (r.uploads_aborted > 0) {
    output.Out(
        "uploads: %llu abandoned multipart uploads aborted (gwsync's own, not resumed for %d "
        "days)",
        static_cast<unsigned long long>(r.uploads_aborted),
        static_cast<int>(kAbandonedAfter.count() / 24));
  }
  output.Out("done in %.2f s%s", r.seconds, flags.dry_run ? " (dry run: nothing changed)" : "");
  if (!global.quiet && !flags.json) PrintGateways(session);
  for (const auto& [key, msg] : r.notices) {
    output.Err("gwsync: notice: %s: %s", Printable(key).c_str(), Printable(msg).c_str());
  }
  if (r.notice_count > r.notices.size()) {
    output.Err("gwsync: ... and %llu more notices",
               static_cast<unsigned long long>(r.notice_count - r.notices.size()));
  }
  for (const auto& [key, why] : r.unverified) {
    output.Err("gwsync: unverified: %s: %s", Printable(key).c_str(), Printable(why).c_str());
  }
  if (r.unverified_count > 0) {
    output.Err(
        "gwsync: %llu objects copied unverified (their content could not be proven; "
        "checked again next run; --require-verified makes this an error)",
        static_cast<unsigned long long>(r.unverified_count));
  }
  for (const auto& [key, msg] : r.errors) {
    output.Err("gwsync: %s: %s", Printable(key).c_str(), Printable(msg).c_str());
  }
  for (const auto& why : r.delete_refusals) output.Err("gwsync: %s", Printable(why).c_str());
  uint64_t failed = r.error_count - r.delete_refusals.size();
  if (failed > r.errors.size()) {
    output.Err("gwsync: ... and %llu more errors",
               static_cast<unsigned long long>(failed - r.errors.size()));
  }
  if (failed > 0) {
    output.Err("gwsync: %llu objects failed", static_cast<unsigned long long>(failed));
  }
  if (r.interrupted) {
    output.Err(
        "gwsync: interrupted by %s before the run finished: no delete, no manifest; the "
        "next run goes on from here",
        SignalName(StopSignal()));
  }
  return finish(ExitCodeOf(r), &r, &session);
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size): a list of flag definitions
void AddSyncCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<SyncFlags>();
  auto* cmd = app.add_subcommand(
      "sync",
      "make DST match SRC: a folder, s3://BUCKET[/PREFIX], s3:// (every bucket) or REMOTE:BUCKET");
  cmd->add_option("source", f->src, "SRC")->required();
  cmd->add_option("destination", f->dst, "DST")->required();
  cmd->add_flag("--delete", f->delete_extra,
                "delete what DST has and SRC does not (last, and only when nothing failed)");
  cmd->add_option("--max-delete", f->max_delete,
                  "refuse --delete beyond N objects (0: delete nothing) or P% of DST's (default "
                  "50%, above 100 objects)")
      ->type_name("N|P%");
  cmd->add_flag("--force-delete", f->force_delete,
                "delete even from an empty source or beyond --max-delete");
  cmd->add_flag("-n,--dry-run", f->dry_run, "print the plan, change nothing");
  cmd->add_flag("--checksum", f->checksum,
                "compare content, even when the index says unchanged (against the xxh3 the "
                "index recorded of the file, else the ETag)");
  cmd->add_flag("--require-verified", f->require_verified,
                "fail a copy whose content cannot be proven against its ETag (an object "
                "uploaded in parts of a size gwsync cannot find) instead of keeping it as "
                "unverified");
  cmd->add_option("--exclude", f->excludes, "skip keys matching this glob (repeatable)");
  cmd->add_option("--include", f->includes, "only keys matching this glob (repeatable)");
  cmd->add_flag("--no-bucket-settings", f->no_bucket_settings,
                "neither save a bucket's settings in a backup nor apply them on restore");
  cmd->add_flag("--apply-bucket-settings", f->apply_bucket_settings,
                "restore: apply the saved settings also to a bucket that already exists");
  cmd->add_flag("--preserve-owner", f->preserve_owner,
                "downloads: restore the owner and group the object records (as root)");
  cmd->add_flag("--preserve-modes", f->preserve_modes,
                "downloads: give files the permission bits the object records exactly "
                "(default: masked by the umask)");
  cmd->add_flag("--preserve-special-bits", f->preserve_special_bits,
                "downloads: restore setuid, setgid and sticky bits too (implies "
                "--preserve-modes)");
  cmd->add_flag("-L,--copy-links", f->copy_links,
                "follow symbolic links in the source folder (default: report and skip them)");
  cmd->add_flag("-l,--links", f->store_links,
                "store symbolic links as NAME.rclonelink objects holding the target, and restore "
                "them as links (rclone's convention)");
  cmd->add_flag("--create-empty-src-dirs", f->create_empty_dirs,
                "upload empty folders as \"dir/\" objects (they always come down as folders)");
  cmd->add_flag("--all-versions", f->all_versions,
                "s3://BUCKET DIR: back up every version and delete marker of a versioned "
                "bucket (older ones in DIR/.gwsync/versions/); DIR s3://BUCKET: replay that "
                "history into an empty bucket, made versioned");
  cmd->add_flag("--json", f->json, "print the final report as JSON");
  cmd->add_flag("--no-manifest", f->no_manifest,
                "write no manifest into a folder destination's .gwsync/");
  cmd->add_flag("--manifest-bucket", f->manifest_bucket,
                "write a manifest into a bucket destination's .gwsync/ too");
  cmd->add_option("--manifest", f->manifest_path,
                  "write the manifest to this file instead (either kind of destination)")
      ->type_name("FILE");
  cmd->add_flag("--manifest-sha256", f->manifest_sha256,
                "read every file of a folder destination for the manifest's SHA-256");
  cmd->add_option("--keep-manifests", f->keep_manifests,
                  "keep the run manifests of this many runs in a folder destination's .gwsync/, "
                  "and the latest (default 30; 0: all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--index", f->index_path,
                  "index folder, one database per pair of sides (default ~/.cache/gwsync/index)")
      ->type_name("DIR");
  cmd->add_flag("--no-index", f->no_index, "use no index: compare content where sizes agree");
  cmd->add_option("--wait-lock", f->wait_lock,
                  "wait up to this long for another run of the same source and destination to "
                  "end (default 0: exit 75 at once)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--shard", f->shard,
                  "run share I of N (0-based) of the keys, listing only those; auto: from "
                  "SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX with GWSYNC_SHARD_COUNT")
      ->type_name("I/N|auto");
  cmd->add_option("--shard-plan,--shard-bounds", f->shard_plan,
                  "split points from `gwsync shard-plan` or a file of keys, one a line "
                  "(default: from a delimiter listing of the source)")
      ->type_name("FILE");
  AddSyncFeedFlags(cmd, &f->feed);
  cmd->add_option("--remotes", f->remotes_file,
                  "remotes file (default ~/.config/gwsync/remotes.conf)")
      ->type_name("FILE");
  cmd->add_option(
         "--metrics-file", f->metrics_file,
         "write the run's figures for node_exporter's textfile collector (Prometheus "
         "text format, replaced atomically), e.g. /var/lib/prometheus/node-exporter/gwsync.prom")
      ->type_name("FILE")
      ->check(NotEmpty());
  cmd->add_option("--log-file", f->log_file,
                  "append the run's summary, errors and notices to this file, each line with a "
                  "UTC timestamp")
      ->type_name("FILE")
      ->check(NotEmpty());
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return RunSyncCommand(flags, *f); }; });
}

}  // namespace gwsync::cli
