// gwsync sync: flags and printing only; the sync itself, its sides, the
// remotes and the report live in the engine (sync/session.h).
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "config/config.h"
#include "sync/session.h"
#include "util/printable.h"
#include "util/units.h"

namespace gwsync::cli {
namespace {

struct SyncFlags {
  std::string src, dst;
  bool delete_extra = false, dry_run = false, checksum = false, json = false, no_index = false;
  bool force_delete = false;
  std::string max_delete = "50%";
  std::vector<std::string> excludes, includes;
  std::string index_path, remotes_file;
};

// "N" objects or "P%" of the destination's.
Status ParseMaxDelete(const std::string& v, sync::SyncOptions* o) {
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  bool percent = end && *end == '%' && end[1] == '\0';
  if (v.empty() || end == v.c_str() || n < 0 || (!percent && *end != '\0')) {
    return InvalidArgument("invalid --max-delete '" + v + "': expected a count or a percentage");
  }
  o->max_delete = percent ? 0 : static_cast<uint64_t>(n);
  o->max_delete_percent = percent ? n : 0;
  return Status::Ok();
}

int TerminalWidth() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// A live progress line on a terminal, at most five times a second, cut to
// the terminal's width. Totals grow while the listings stream: until they
// are done it shows what is known so far.
class ProgressLine {
 public:
  ProgressLine(bool enabled, const sync::Session* session) : enabled_(enabled), session_(session) {}
  ~ProgressLine() { Clear(); }
  void Clear() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }
  void Update(const sync::SyncProgress& p) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    shown_ = true;
    double rate = p.seconds > 0 ? p.done_bytes / p.seconds : 0;
    std::string line =
        (p.listing_done ? "" : "listing " + std::to_string(p.listed_source) + " keys | ") +
        std::to_string(p.done_objects) + "/" + std::to_string(p.planned_objects) + " objects, " +
        FormatSize(p.done_bytes) + "/" + FormatSize(p.planned_bytes) + ", " +
        FormatSize(static_cast<uint64_t>(rate)) + "/s";
    if (p.listing_done && rate > 0) {
      double left = (p.planned_bytes - std::min(p.planned_bytes, p.done_bytes)) / rate;
      line += ", ETA " + std::to_string(static_cast<long>(left)) + "s";
    }
    if (p.errors) line += ", " + std::to_string(p.errors) + " errors";
    line += Gateways();
    size_t width = static_cast<size_t>(std::max(20, TerminalWidth() - 1));
    if (line.size() > width) line.resize(width);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  }

 private:
  // " | :7480 812 req c16, :7481 down ...": per gateway, with several.
  std::string Gateways() const {
    std::string out;
    for (const auto& [remote, stats] : session_->Stats()) {
      if (stats.size() < 2) continue;
      for (const auto& e : stats) {
        std::string_view name = e.name;
        if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
          name = name.substr(colon);
        }
        out += (out.empty() ? " | " : ", ") + Printable(name) + " " + std::to_string(e.requests) +
               " req" + (e.down ? " down" : " c" + std::to_string(e.concurrency)) +
               (e.throttled ? " " + std::to_string(e.throttled) + " throttled" : "");
      }
    }
    return out;
  }

  bool enabled_;
  const sync::Session* session_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// One line per gateway after the summary, when a cluster has several.
void PrintGateways(const sync::Session& session) {
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

int RunSyncCommand(const GlobalFlags& global, const SyncFlags& flags) {
  std::string remotes_path =
      flags.remotes_file.empty() ? config::DefaultRemotesPath() : flags.remotes_file;
  auto remotes = config::ReadRemotesFile(remotes_path, !flags.remotes_file.empty());
  if (!remotes.ok()) return Fail(remotes.status());

  sync::SyncOptions options;
  options.delete_extra = flags.delete_extra;
  options.dry_run = flags.dry_run;
  options.checksum = flags.checksum;
  options.force_delete = flags.force_delete;
  if (Status s = ParseMaxDelete(flags.max_delete, &options); !s.ok()) return Fail(s);
  options.concurrency = global.concurrency > 0 ? global.concurrency : 32;
  options.restore_owner = geteuid() == 0;
  for (const auto& e : flags.excludes) options.filter.Exclude(e);
  for (const auto& i : flags.includes) options.filter.Include(i);
  auto transfer = ResolveTransferOptions(global);
  if (!transfer.ok()) return Fail(transfer.status());
  options.transfer = *transfer;
  options.transfer.parallel = std::min(8, options.concurrency);

  // The default cluster may be unconfigured when both sides are remotes.
  StatusOr<sync::ClusterOptions> cluster = ResolveClusterOptions(global);
  sync::IndexOptions index;
  index.enabled = !flags.no_index;
  index.dir = flags.index_path;
  sync::Session session(std::move(cluster), std::move(*remotes), index);

  ProgressLine progress(isatty(STDERR_FILENO) && !global.quiet && !flags.json, &session);
  options.on_progress = [&progress](const sync::SyncProgress& p) { progress.Update(p); };
  if (flags.dry_run && !global.quiet && !flags.json) {
    options.on_plan = [&progress](const plan::Action& a) {
      progress.Clear();
      std::printf("(dry run) %s %s\n", std::string(plan::ActionName(a.kind)).c_str(),
                  Printable(a.key).c_str());
    };
  }

  auto report = session.Run(flags.src, flags.dst, options);
  progress.Clear();
  if (!report.ok()) return Fail(report.status());
  const sync::SyncReport& r = *report;
  if (flags.json) {
    std::printf("%s\n",
                sync::ReportJson(r, flags.src, flags.dst, flags.dry_run, &session).dump(2).c_str());
  } else if (!global.quiet) {
    for (const auto& [name, t] : r.actions) {
      std::printf("%-28s %8llu objects  %12s\n", name.c_str(),
                  static_cast<unsigned long long>(t.objects), FormatSize(t.bytes).c_str());
    }
    std::printf("done in %.2f s%s\n", r.seconds,
                flags.dry_run ? " (dry run: nothing changed)" : "");
    PrintGateways(session);
  }
  for (const auto& [key, msg] : r.notices) {
    std::fprintf(stderr, "gwsync: notice: %s: %s\n", Printable(key).c_str(),
                 Printable(msg).c_str());
  }
  if (r.notice_count > r.notices.size()) {
    std::fprintf(stderr, "gwsync: ... and %llu more notices\n",
                 static_cast<unsigned long long>(r.notice_count - r.notices.size()));
  }
  for (const auto& [key, msg] : r.errors) {
    std::fprintf(stderr, "gwsync: %s: %s\n", Printable(key).c_str(), Printable(msg).c_str());
  }
  for (const auto& why : r.delete_refusals) {
    std::fprintf(stderr, "gwsync: %s\n", Printable(why).c_str());
  }
  uint64_t failed = r.error_count - r.delete_refusals.size();
  if (failed > r.errors.size()) {
    std::fprintf(stderr, "gwsync: ... and %llu more errors\n",
                 static_cast<unsigned long long>(failed - r.errors.size()));
  }
  if (failed > 0) {
    std::fprintf(stderr, "gwsync: %llu objects failed\n", static_cast<unsigned long long>(failed));
  }
  if (r.error_count > 0) return 1;
  return 0;
}

}  // namespace

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
                  "refuse --delete beyond N objects or P% of DST's (default 50%, above 100 "
                  "objects)");
  cmd->add_flag("--force-delete", f->force_delete,
                "delete even from an empty source or beyond --max-delete");
  cmd->add_flag("-n,--dry-run", f->dry_run, "print the plan, change nothing");
  cmd->add_flag("--checksum", f->checksum, "compare content, even when the index says unchanged");
  cmd->add_option("--exclude", f->excludes, "skip keys matching this glob (repeatable)");
  cmd->add_option("--include", f->includes, "only keys matching this glob (repeatable)");
  cmd->add_flag("--json", f->json, "print the final report as JSON");
  cmd->add_option("--index", f->index_path,
                  "index folder, one database per pair of sides (default ~/.cache/gwsync/index)");
  cmd->add_flag("--no-index", f->no_index, "use no index: compare content where sizes agree");
  cmd->add_option("--remotes", f->remotes_file,
                  "remotes file (default ~/.config/gwsync/remotes.conf)");
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return RunSyncCommand(flags, *f); }; });
}

}  // namespace gwsync::cli
