// gwsync verify: flags and printing only; the comparison and its verdict are
// the library's (gwsync/verify.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "gwsync/units.h"
#include "gwsync/verify.h"

namespace gwsync::cli {
namespace {

struct VerifyFlags {
  std::string src, dst;
  bool content = false, json = false, store_links = false;
  int parallel = 0;
  std::vector<std::string> excludes, includes;
  std::string remotes_file;
};

// NOLINTNEXTLINE(readability-function-size): one path: request, run, summary
int RunVerifyCommand(const GlobalFlags& global, const VerifyFlags& flags) {
  VerifyRequest request;
  request.source = flags.src;
  request.destination = flags.dst;
  request.content = flags.content;
  request.store_links = flags.store_links;
  request.parallel = flags.parallel;
  request.exclude = flags.excludes;
  request.include = flags.includes;
  request.remotes_file = flags.remotes_file;
  if (!flags.json) {
    // Printed as found: a report of millions of differences needs no memory.
    request.on_difference = [](const VerifyDifference& d) {
      std::printf("%-9s %s%s%s\n", std::string(d.KindName()).c_str(), d.key.c_str(),
                  d.why.empty() ? "" : ": ", d.why.c_str());
    };
  }
  request.on_notice = [](const std::string& m) {
    std::fprintf(stderr, "gwsync: notice: %s\n", m.c_str());
  };
  WarnInsecure(global);
  auto summary = Verify(global, request);
  if (!summary.ok()) return Fail(summary.status());
  const VerifySummary& r = *summary;

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
    if (r.history_checked) j["versions_matched"] = r.versions;
    j["missing"] = nlohmann::json::array();
    j["extra"] = nlohmann::json::array();
    j["different"] = nlohmann::json::array();
    j["unverified"] = nlohmann::json::array();
    using Kind = VerifyDifference::Kind;
    for (const auto& d : r.differences) {
      if (d.kind == Kind::kUnverified) j["unverified"].push_back({{"key", d.key}, {"why", d.why}});
      if (d.kind == Kind::kMissing) j["missing"].push_back(d.key);
      if (d.kind == Kind::kExtra) j["extra"].push_back(d.key);
      if (d.kind == Kind::kDifferent) j["different"].push_back({{"key", d.key}, {"why", d.why}});
    }
    j["errors"] = nlohmann::json::array();
    for (const auto& p : r.problems) {
      j["errors"].push_back({{"path", p.where}, {"message", p.message}});
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& p : r.problems) {
      std::fprintf(stderr, "gwsync: %s: %s\n", p.where.c_str(), p.message.c_str());
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
      if (r.history_checked) {
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
      std::printf("verify: %s\n", std::string(r.VerdictName()).c_str());
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
