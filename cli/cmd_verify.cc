// gwsync verify: flags and printing only; the comparison is the engine's
// (verify/verify.h).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "config/config.h"
#include "sync/session.h"
#include "util/units.h"
#include "verify/every_bucket.h"
#include "verify/sides.h"
#include "verify/versions.h"

namespace gwsync::cli {
namespace {

struct VerifyFlags {
  std::string src, dst;
  bool content = false, json = false, store_links = false;
  int parallel = 0;
  std::vector<std::string> excludes, includes;
  std::string remotes_file;
};

// An --all-versions backup on either side: its history checked too, against
// its own folder and against the other side when that is a bucket or a
// folder. Whether there was one.
bool VerifyHistory(const std::string& src, const std::string& dst, sync::Session& session,
                   const plan::Filter& filter, const verify::VerifyOptions& options,
                   verify::VerifyReport* r) {
  auto s = sync::ParseSideSpec(src, session.remotes());
  auto d = sync::ParseSideSpec(dst, session.remotes());
  if (!s.ok() || !d.ok()) return false;
  bool any = false;
  for (int i = 0; i < 2; ++i) {
    const sync::SideSpec& side = i == 0 ? *s : *d;
    const sync::SideSpec& other = i == 0 ? *d : *s;
    if (side.remote) continue;
    auto manifest = verify::AllVersionsManifest(side.path);
    if (!manifest) continue;
    any = true;
    struct stat st {};
    bool folder = stat(side.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    verify::VersionsTarget target;
    if (folder) {
      target.folder = side.path;
    } else if (!other.remote) {
      target.folder = other.path;
    }
    if (!target.folder.empty()) {
      verify::AddReport(verify::VerifyVersions(*manifest, target, true, filter, options), r);
    }
    if (other.remote && !other.bucket.empty()) {
      auto client = session.ClientFor(other.remote_name);
      if (!client.ok()) {
        r->problems.push_back({dst, client.status()});
        continue;
      }
      verify::VersionsTarget bucket;
      bucket.client = *client;
      bucket.bucket = other.bucket;
      bucket.prefix = other.prefix;
      verify::AddReport(verify::VerifyVersions(*manifest, bucket, i == 0, filter, options), r);
    }
  }
  return any;
}

// NOLINTNEXTLINE(readability-function-size): one path: options, run, summary
int RunVerifyCommand(const GlobalFlags& global, const VerifyFlags& flags) {
  std::string remotes_path =
      flags.remotes_file.empty() ? config::DefaultRemotesPath() : flags.remotes_file;
  auto remotes = config::ReadRemotesFile(remotes_path, !flags.remotes_file.empty());
  if (!remotes.ok()) return Fail(remotes.status());
  sync::Session session(ResolveClusterOptions(global), std::move(*remotes));
  plan::Filter filter;
  for (const auto& e : flags.excludes) filter.Exclude(e);
  for (const auto& i : flags.includes) filter.Include(i);

  verify::VerifyOptions options;
  options.content = flags.content;
  options.store_links = flags.store_links;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  options.parallel = flags.parallel > 0 ? flags.parallel : static_cast<int>(std::min(8u, cores));
  if (auto part = ParseSize(global.part_size); part.ok()) options.part_size = *part;
  if (!flags.json) {
    // Printed as found: a report of millions of differences needs no memory.
    options.on_difference = [](const verify::Difference& d) {
      std::printf("%-9s %s%s%s\n", std::string(verify::DifferenceName(d.kind)).c_str(),
                  d.key.c_str(), d.why.empty() ? "" : ": ", d.why.c_str());
    };
  }
  verify::VerifyReport r;
  bool versions = false;
  if (verify::IsEveryBucket(flags.src, session) || verify::IsEveryBucket(flags.dst, session)) {
    auto all = verify::VerifyEveryBucket(flags.src, flags.dst, session, filter, options);
    if (!all.ok()) return Fail(all.status());
    r = std::move(*all);
  } else {
    manifest::Header src_header, dst_header;
    auto src = verify::OpenSide(flags.src, session, filter, &src_header, options.store_links);
    if (!src.ok()) return Fail(src.status());
    auto dst = verify::OpenSide(flags.dst, session, filter, &dst_header, options.store_links);
    if (!dst.ok()) return Fail(dst.status());
    // A manifest describes what its destination held, even after a sync
    // that failed in part: say so, the backup may lack keys its source had.
    for (const auto* h : {&src_header, &dst_header}) {
      if (h->sync_errors > 0) {
        std::fprintf(
            stderr,
            "gwsync: notice: the manifest of run %s was written after a sync with %llu errors\n",
            h->run.c_str(), static_cast<unsigned long long>(h->sync_errors));
      }
    }
    r = verify::Verify(std::move(*src), std::move(*dst), options);
    versions = VerifyHistory(flags.src, flags.dst, session, filter, options, &r);
  }

  if (flags.json) {
    nlohmann::json j;
    j["source"] = flags.src;
    j["destination"] = flags.dst;
    j["match"] = r.ok();
    j["source_objects"] = r.source_objects;
    j["destination_objects"] = r.destination_objects;
    j["matched"] = {{"objects", r.matched}, {"bytes", r.matched_bytes}};
    j["etags_compared"] = r.etags_compared;
    j["contents_read"] = r.contents_read;
    j["contents_by_xxh3"] = r.contents_by_xxh3;
    j["unchecked"] = r.unchecked;
    j["missing_count"] = r.missing;
    j["extra_count"] = r.extra;
    j["different_count"] = r.different;
    j["unverified_count"] = r.unverified;
    if (versions) j["versions_matched"] = r.versions;
    j["missing"] = nlohmann::json::array();
    j["extra"] = nlohmann::json::array();
    j["different"] = nlohmann::json::array();
    j["unverified"] = nlohmann::json::array();
    for (const auto& d : r.differences) {
      if (d.kind == verify::DifferenceKind::kUnverified) {
        j["unverified"].push_back({{"key", d.key}, {"why", d.why}});
      }
      if (d.kind == verify::DifferenceKind::kMissing) j["missing"].push_back(d.key);
      if (d.kind == verify::DifferenceKind::kExtra) j["extra"].push_back(d.key);
      if (d.kind == verify::DifferenceKind::kDifferent) {
        j["different"].push_back({{"key", d.key}, {"why", d.why}});
      }
    }
    j["errors"] = nlohmann::json::array();
    for (const auto& p : r.problems) {
      j["errors"].push_back({{"path", p.path}, {"message", p.status.message()}});
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& p : r.problems) {
      std::fprintf(stderr, "gwsync: %s: %s\n", p.path.c_str(), p.status.message().c_str());
    }
    if (!global.quiet || !r.ok()) {
      // "5 of 5 objects match (19.1 MiB; sizes, 5 ETags, 5 files read); 0 missing, ..."
      std::string line = std::to_string(r.matched) + " of " + std::to_string(r.source_objects) +
                         " objects match (" + FormatSize(r.matched_bytes) + "; sizes";
      if (r.etags_compared) line += ", " + std::to_string(r.etags_compared) + " ETags";
      if (flags.content) line += ", " + std::to_string(r.contents_read) + " files read";
      if (r.contents_by_xxh3) line += " (" + std::to_string(r.contents_by_xxh3) + " by xxh3)";
      line += "); " + std::to_string(r.missing) + " missing, " + std::to_string(r.extra) +
              " extra, " + std::to_string(r.different) + " different";
      if (r.unverified) line += ", " + std::to_string(r.unverified) + " unverified";
      if (versions) {
        line += "; history: " + std::to_string(r.versions) +
                " versions and delete markers match (older versions checked too)";
      }
      if (r.own_manifests) {
        line += " (" + std::to_string(r.own_manifests) + " gwsync run manifests not compared)";
      }
      if (!r.problems.empty()) line += ", " + std::to_string(r.problems.size()) + " read errors";
      if (r.unchecked) {
        line += "; " + std::to_string(r.unchecked) + " not read (no ETag to check them against)";
      }
      std::printf("%s\n", line.c_str());
      // Unverified or unread alone is no difference found, and no proof
      // either: --content asked for the bytes.
      bool only_unverified = (r.unverified > 0 || r.unchecked > 0) && r.missing == 0 &&
                             r.extra == 0 && r.different == 0 && r.problems.empty();
      std::printf("%s\n", r.ok()            ? "verify: OK"
                          : only_unverified ? "verify: NOT PROVEN"
                                            : "verify: DIFFERENT");
    }
  }
  return r.ok() ? 0 : 1;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<VerifyFlags>();
  auto* cmd = app.add_subcommand(
      "verify",
      "prove DST holds what SRC does, downloading nothing: each a folder, s3://BUCKET[/PREFIX], "
      "REMOTE:BUCKET, a run manifest, or s3:// (every bucket) against a folder of buckets "
      "(exit 0: they match, 1: they differ or a content could not be proven)");
  cmd->add_option("source", f->src, "SRC (the reference)")->required();
  cmd->add_option("destination", f->dst, "DST (the copy)")->required();
  cmd->add_flag("--content", f->content,
                "read a folder side's files and check them against the other side's ETags");
  cmd->add_option("--parallel", f->parallel,
                  "files read at once with --content (default: cores, "
                  "at most 8)");
  cmd->add_flag("--json", f->json, "print the report as JSON");
  cmd->add_flag("-l,--links", f->store_links,
                "a folder's symbolic links are NAME.rclonelink objects holding the target, as "
                "`sync --links` stores them");
  cmd->add_option("--exclude", f->excludes, "skip keys matching this glob (repeatable)");
  cmd->add_option("--include", f->includes, "only keys matching this glob (repeatable)");
  cmd->add_option("--remotes", f->remotes_file,
                  "remotes file (default ~/.config/gwsync/remotes.conf)")
      ->type_name("FILE");
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return RunVerifyCommand(flags, *f); }; });
}

}  // namespace gwsync::cli
