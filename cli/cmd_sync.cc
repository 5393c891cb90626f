#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "index/index.h"
#include "sync/sync.h"
#include "util/units.h"

namespace gwsync::cli {
namespace {

struct SyncFlags {
  std::string src, dst;
  bool delete_extra = false, dry_run = false, checksum = false, json = false, no_index = false;
  std::vector<std::string> excludes, includes;
  std::string index_path, remotes_file;
};

// A configured remote: a cluster with its own endpoint and keys.
struct Remote {
  GlobalFlags flags;
};

// Reads "[NAME]" sections with endpoint/access_key/secret_key/signature/region.
StatusOr<std::map<std::string, Remote>> ReadRemotes(const std::string& path, bool must_exist) {
  std::map<std::string, Remote> out;
  std::ifstream in(path);
  if (!in) {
    if (must_exist) return NotFound("cannot read remotes file '" + path + "'");
    return out;
  }
  std::string line, section;
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      if (section.starts_with("remote ")) section = trim(section.substr(7));
      out[section];
      continue;
    }
    size_t eq = line.find('=');
    if (section.empty() || eq == std::string::npos) continue;
    std::string k = trim(line.substr(0, eq)), v = trim(line.substr(eq + 1));
    GlobalFlags& f = out[section].flags;
    if (k == "endpoint") f.endpoints.push_back(v);
    if (k == "access_key") f.access_key = v;
    if (k == "secret_key") f.secret_key = v;
    if (k == "signature") f.signature = v;
    if (k == "region") f.region = v;
  }
  return out;
}

std::string DefaultRemotesPath() {
  if (const char* p = std::getenv("GWSYNC_REMOTES")) return p;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) return std::string(xdg) + "/gwsync/remotes.conf";
  return std::string(home ? home : ".") + "/.config/gwsync/remotes.conf";
}

// One side of a sync as typed: a folder, s3://bucket/prefix, or REMOTE:bucket/prefix.
struct Side {
  bool remote = false;
  std::string path;            // local
  std::string remote_name;     // "" for the default gateway
  std::string bucket, prefix;  // bucket "" = every bucket
};

StatusOr<Side> ParseSide(const std::string& arg, const std::map<std::string, Remote>& remotes) {
  Side side;
  if (s3::IsS3Url(arg)) {
    ASSIGN_OR_RETURN(s3::S3Url url, s3::ParseS3Url(arg));
    side.remote = true;
    side.bucket = url.bucket;
    side.prefix = url.key;
  } else if (size_t colon = arg.find(':');
             colon != std::string::npos && remotes.count(arg.substr(0, colon))) {
    side.remote = true;
    side.remote_name = arg.substr(0, colon);
    std::string rest = arg.substr(colon + 1);
    size_t slash = rest.find('/');
    side.bucket = rest.substr(0, slash);
    if (slash != std::string::npos) side.prefix = rest.substr(slash + 1);
    if (!side.bucket.empty()) RETURN_IF_ERROR(s3::ValidateBucketName(side.bucket));
  } else {
    size_t sep = arg.find(':');
    if (sep != std::string::npos && sep > 0 && arg.find('/') > sep && arg[0] != '.') {
      return InvalidArgument("unknown remote '" + arg.substr(0, sep) +
                             "' (not in the remotes file); for a folder of that name write ./" +
                             arg);
    }
    side.path = arg;
    while (side.path.size() > 1 && side.path.back() == '/') side.path.pop_back();
  }
  if (!side.prefix.empty() && side.prefix.back() != '/') side.prefix += '/';
  return side;
}

// Prints a live progress line on a terminal, at most five times a second;
// `more` adds to it (the per-gateway figures).
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::function<std::string()> more)
      : enabled_(enabled), more_(std::move(more)) {}
  ~ProgressLine() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }
  void Update(const sync::SyncProgress& p) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    shown_ = true;
    double rate = p.seconds > 0 ? p.done_bytes / p.seconds : 0;
    double left = rate > 0 ? (p.planned_bytes - std::min(p.planned_bytes, p.done_bytes)) / rate : 0;
    std::fprintf(stderr, "\r\033[K%llu/%llu objects, %s/%s, %s/s, ETA %.0fs%s%s",
                 static_cast<unsigned long long>(p.done_objects),
                 static_cast<unsigned long long>(p.planned_objects),
                 FormatSize(p.done_bytes).c_str(), FormatSize(p.planned_bytes).c_str(),
                 FormatSize(static_cast<uint64_t>(rate)).c_str(), left,
                 p.errors ? (", " + std::to_string(p.errors) + " errors").c_str() : "",
                 more_ ? more_().c_str() : "");
  }

 private:
  bool enabled_;
  std::function<std::string()> more_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

nlohmann::json ReportJson(const sync::SyncReport& r, const std::string& src,
                          const std::string& dst) {
  nlohmann::json j;
  j["source"] = src;
  j["destination"] = dst;
  j["seconds"] = r.seconds;
  j["source_objects"] = r.source_objects;
  j["destination_objects"] = r.destination_objects;
  uint64_t moved_objects = 0, moved_bytes = 0;
  for (const auto& [name, t] : r.actions) {
    j["actions"][name] = {{"objects", t.objects}, {"bytes", t.bytes}};
    if (name == "upload" || name == "download" || name == "copy") {
      moved_objects += t.objects;
      moved_bytes += t.bytes;
    }
  }
  if (!j.contains("actions")) j["actions"] = nlohmann::json::object();
  j["objects_per_second"] = r.seconds > 0 ? moved_objects / r.seconds : 0;
  j["bytes_per_second"] = r.seconds > 0 ? moved_bytes / r.seconds : 0;
  j["errors"] = nlohmann::json::array();
  for (const auto& [key, msg] : r.errors) j["errors"].push_back({{"key", key}, {"message", msg}});
  return j;
}

class SyncCommand {
 public:
  SyncCommand(const GlobalFlags& g, const SyncFlags& f) : global_(g), flags_(f) {}

  int Run() {
    std::string remotes_path =
        flags_.remotes_file.empty() ? DefaultRemotesPath() : flags_.remotes_file;
    auto remotes = ReadRemotes(remotes_path, !flags_.remotes_file.empty());
    if (!remotes.ok()) return Fail(remotes.status());
    remotes_ = std::move(*remotes);
    auto src = ParseSide(flags_.src, remotes_);
    if (!src.ok()) return Fail(src.status());
    auto dst = ParseSide(flags_.dst, remotes_);
    if (!dst.ok()) return Fail(dst.status());
    if (!src->remote && !dst->remote) {
      return Fail(
          InvalidArgument("one side of a sync must be a bucket (s3://BUCKET or REMOTE:BUCKET)"));
    }
    if (src->remote && dst->remote && (src->bucket.empty() != dst->bucket.empty())) {
      return Fail(
          InvalidArgument("every-bucket syncs need every bucket on both sides (s3:// or REMOTE:)"));
    }

    if (!flags_.no_index) {
      std::string path =
          flags_.index_path.empty() ? index::Index::DefaultPath() : flags_.index_path;
      auto idx = index::Index::Open(path);
      if (!idx.ok()) return Fail(idx.status());
      index_ = std::move(*idx);
    }
    options_.delete_extra = flags_.delete_extra;
    options_.dry_run = flags_.dry_run;
    options_.checksum = flags_.checksum;
    options_.concurrency = global_.concurrency > 0 ? global_.concurrency : 32;
    options_.index = index_.get();
    options_.restore_owner = geteuid() == 0;
    for (const auto& e : flags_.excludes) options_.filter.Exclude(e);
    for (const auto& i : flags_.includes) options_.filter.Include(i);
    auto transfer = ResolveTransferOptions(global_);
    if (!transfer.ok()) return Fail(transfer.status());
    options_.transfer = *transfer;
    options_.transfer.parallel = std::min(8, options_.concurrency);
    ProgressLine progress(isatty(STDERR_FILENO) && !global_.quiet && !flags_.json,
                          [this] { return GatewaysBrief(); });
    options_.on_progress = [&progress](const sync::SyncProgress& p) { progress.Update(p); };
    if (flags_.dry_run) {
      options_.on_plan = [this](const plan::Action& a) {
        if (!global_.quiet && !flags_.json) {
          std::printf("(dry run) %s %s\n", std::string(plan::ActionName(a.kind)).c_str(),
                      a.key.c_str());
        }
      };
    }

    Status s = (src->remote ? src->bucket.empty() : dst->bucket.empty())
                   ? SyncEveryBucket(*src, *dst)
                   : SyncOne(*src, *dst);
    if (!s.ok()) return Fail(s);
    return Finish();
  }

 private:
  StatusOr<const s3::Client*> ClientFor(const std::string& remote_name) {
    auto it = contexts_.find(remote_name);
    if (it == contexts_.end()) {
      GlobalFlags f = global_;
      if (!remote_name.empty()) {
        const GlobalFlags& r = remotes_.at(remote_name).flags;
        f.endpoints = r.endpoints;
        f.access_key = r.access_key;
        f.secret_key = r.secret_key;
        f.signature = r.signature;
        f.region = r.region;
        if (f.endpoints.empty()) {
          return InvalidArgument("remote '" + remote_name + "' has no endpoint");
        }
      }
      ASSIGN_OR_RETURN(auto ctx, Context::Create(f));
      it = contexts_.emplace(remote_name, std::move(ctx)).first;
    }
    return &it->second->client();
  }

  StatusOr<sync::Location> Locate(const Side& side, const std::string& bucket,
                                  const std::string& subdir) {
    sync::Location loc;
    if (!side.remote) {
      loc.kind = sync::Location::Kind::kLocal;
      loc.path = subdir.empty() ? side.path : side.path + "/" + subdir;
      char resolved[PATH_MAX];
      // The index is keyed by the absolute folder.
      if (realpath(loc.path.c_str(), resolved)) loc.path = resolved;
      return loc;
    }
    loc.kind = sync::Location::Kind::kRemote;
    ASSIGN_OR_RETURN(loc.client, ClientFor(side.remote_name));
    loc.bucket = bucket;
    loc.prefix = side.prefix;
    const s3::ClientOptions& o = loc.client->options();
    loc.remote_id = o.endpoint.BaseUrl() + " " + o.credentials.access_key;
    return loc;
  }

  Status SyncOne(const Side& src, const Side& dst) {
    ASSIGN_OR_RETURN(sync::Location s, Locate(src, src.bucket, ""));
    ASSIGN_OR_RETURN(sync::Location d, Locate(dst, dst.bucket, ""));
    return RunOne(s, d);
  }

  Status RunOne(const sync::Location& s, const sync::Location& d) {
    ASSIGN_OR_RETURN(sync::SyncReport r, sync::RunSync(s, d, options_));
    for (const auto& [name, t] : r.actions) {
      Tally& total = totals_.actions[name];
      total.objects += t.objects;
      total.bytes += t.bytes;
    }
    for (auto& e : r.errors) {
      std::string where = s.kind == sync::Location::Kind::kRemote ? s.bucket : d.bucket;
      totals_.errors.emplace_back(where.empty() ? e.first : where + "/" + e.first, e.second);
    }
    totals_.source_objects += r.source_objects;
    totals_.destination_objects += r.destination_objects;
    return Status::Ok();
  }

  // s3:// -> folder: one sub-folder per bucket; folder -> s3://: one bucket
  // per sub-folder; REMOTE: -> REMOTE:: every bucket.
  Status SyncEveryBucket(const Side& src, const Side& dst) {
    std::vector<std::string> buckets;
    if (src.remote) {
      ASSIGN_OR_RETURN(const s3::Client* c, ClientFor(src.remote_name));
      ASSIGN_OR_RETURN(auto list, s3::Wait<std::vector<s3::BucketInfo>>(
                                      [&](auto done) { c->ListBuckets(done); }));
      for (const auto& b : list) buckets.push_back(b.name);
    } else {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(src.path, ec)) {
        if (e.is_directory()) buckets.push_back(e.path().filename().string());
      }
      if (ec) return NotFound("cannot read folder '" + src.path + "': " + ec.message());
      std::sort(buckets.begin(), buckets.end());
    }
    for (const auto& b : buckets) {
      if (!s3::ValidateBucketName(b).ok()) {
        totals_.errors.emplace_back(b, "not a valid bucket name: skipped");
        continue;
      }
      ASSIGN_OR_RETURN(sync::Location s, Locate(src, b, src.remote ? "" : b));
      ASSIGN_OR_RETURN(sync::Location d, Locate(dst, b, dst.remote ? "" : b));
      // One bucket that fails (refused name, deleted mid-run) is reported;
      // the others still sync.
      Status one = RunOne(s, d);
      if (!one.ok()) totals_.errors.emplace_back(b, one.message());
    }
    return Status::Ok();
  }

  int Finish() {
    totals_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (flags_.json) {
      nlohmann::json j = ReportJson(totals_, flags_.src, flags_.dst);
      j["dry_run"] = flags_.dry_run;
      j["endpoints"] = nlohmann::json::array();
      for (const auto& [remote, ctx] : contexts_) {
        for (const auto& e : ctx->client().EndpointStats()) {
          j["endpoints"].push_back(
              {{"remote", remote.empty() ? "default" : remote},
               {"endpoint", e.name},
               {"requests", e.requests},
               {"errors", e.errors},
               {"throttled", e.throttled},
               {"timeouts", e.timeouts},
               {"down_events", e.down_events},
               {"bytes_sent", e.bytes_sent},
               {"bytes_received", e.bytes_received},
               {"latency_avg_ms", 1000 * e.latency_avg()},
               {"latency_max_ms", 1000 * e.latency_max},
               {"concurrency",
                {{"min", e.concurrency_min}, {"max", e.concurrency_max}, {"final", e.concurrency}}},
               {"down", e.down}});
        }
      }
      std::printf("%s\n", j.dump(2).c_str());
    } else if (!global_.quiet) {
      for (const auto& [name, t] : totals_.actions) {
        std::printf("%-28s %8llu objects  %12s\n", name.c_str(),
                    static_cast<unsigned long long>(t.objects), FormatSize(t.bytes).c_str());
      }
      std::printf("done in %.2f s%s\n", totals_.seconds,
                  flags_.dry_run ? " (dry run: nothing changed)" : "");
      PrintGateways();
    }
    for (const auto& [key, msg] : totals_.errors) {
      std::fprintf(stderr, "gwsync: %s: %s\n", key.c_str(), msg.c_str());
    }
    if (!totals_.errors.empty()) {
      std::fprintf(stderr, "gwsync: %zu objects failed\n", totals_.errors.size());
      return 1;
    }
    return 0;
  }

  // " | :7480 812 req c16, :7481 down ...": per gateway, requests so far,
  // its concurrency limit now, and whether it is down; only with several.
  std::string GatewaysBrief() const {
    std::string out;
    for (const auto& [remote, ctx] : contexts_) {
      auto stats = ctx->client().EndpointStats();
      if (stats.size() < 2) continue;
      for (const auto& e : stats) {
        std::string_view name = e.name;
        if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
          name = name.substr(colon);
        }
        out += (out.empty() ? " | " : ", ") + std::string(name) + " " + std::to_string(e.requests) +
               " req" + (e.down ? " down" : " c" + std::to_string(e.concurrency)) +
               (e.throttled ? " " + std::to_string(e.throttled) + " throttled" : "");
      }
    }
    return out;
  }

  // One line per gateway after the summary, when a remote has several.
  void PrintGateways() const {
    for (const auto& [remote, ctx] : contexts_) {
      auto stats = ctx->client().EndpointStats();
      if (stats.size() < 2) continue;
      for (const auto& e : stats) {
        std::printf(
            "gateway %s: %llu requests, %s up, %s down, %llu errors, %llu throttled, "
            "%llu timeouts, avg %.1f ms, max %.1f ms, concurrency %d..%d%s\n",
            e.name.c_str(), static_cast<unsigned long long>(e.requests),
            FormatSize(e.bytes_sent).c_str(), FormatSize(e.bytes_received).c_str(),
            static_cast<unsigned long long>(e.errors), static_cast<unsigned long long>(e.throttled),
            static_cast<unsigned long long>(e.timeouts), 1000 * e.latency_avg(),
            1000 * e.latency_max, e.concurrency_min, e.concurrency_max, e.down ? ", down now" : "");
      }
    }
  }

  using Tally = sync::Tally;
  const GlobalFlags& global_;
  const SyncFlags& flags_;
  std::map<std::string, Remote> remotes_;
  std::map<std::string, std::unique_ptr<Context>> contexts_;
  std::unique_ptr<index::Index> index_;
  sync::SyncOptions options_;
  sync::SyncReport totals_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

void AddSyncCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<SyncFlags>();
  auto* cmd = app.add_subcommand(
      "sync",
      "make DST match SRC: a folder, s3://BUCKET[/PREFIX], s3:// (every bucket) or REMOTE:BUCKET");
  cmd->add_option("source", f->src, "SRC")->required();
  cmd->add_option("destination", f->dst, "DST")->required();
  cmd->add_flag("--delete", f->delete_extra, "delete what DST has and SRC does not");
  cmd->add_flag("-n,--dry-run", f->dry_run, "print the plan, change nothing");
  cmd->add_flag("--checksum", f->checksum, "compare content, even when the index says unchanged");
  cmd->add_option("--exclude", f->excludes, "skip keys matching this glob (repeatable)");
  cmd->add_option("--include", f->includes, "only keys matching this glob (repeatable)");
  cmd->add_flag("--json", f->json, "print the final report as JSON");
  cmd->add_option("--index", f->index_path, "index database (default ~/.cache/gwsync/index)");
  cmd->add_flag("--no-index", f->no_index, "use no index: compare content where sizes agree");
  cmd->add_option("--remotes", f->remotes_file,
                  "remotes file (default ~/.config/gwsync/remotes.conf)");
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return SyncCommand(flags, *f).Run(); }; });
}

}  // namespace gwsync::cli
