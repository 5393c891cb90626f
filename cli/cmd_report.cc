// gwsync report merge: the --json reports of a sharded sync's shares added
// into one, with the shares that are missing or failed named (exit 1 then).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "session/report_merge.h"
#include "session/run_manifest.h"

namespace gwsync::cli {
namespace {

struct MergeFlags {
  std::vector<std::string> files;
  std::string output;
};

int RunMerge(const GlobalFlags& global, const MergeFlags& flags) {
  std::vector<session::ReportFile> files;
  for (const auto& name : flags.files) {
    std::ifstream in(name);
    if (!in) return Fail(NotFound("cannot read report '" + name + "'"));
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back({name, ss.str()});
  }
  session::MergedReport merged = session::MergeReports(files);
  // Every share wrote a manifest of its own keys into the folder: once all
  // are in, they become the backup's manifest (manifest-latest).
  if (merged.complete()) {
    std::vector<std::string> parts;
    bool in_bucket = false;
    for (const auto& share : merged.report["shares"]) {
      const auto& m = share["manifests"];
      if (m.size() != 1 || !m[0].is_string()) break;
      std::string path = m[0].get<std::string>();
      in_bucket = in_bucket || path.starts_with("s3://");
      parts.push_back(std::move(path));
    }
    if (parts.size() != merged.report["shares"].size()) {
      // --no-manifest: nothing to join.
    } else if (in_bucket) {
      if (!global.quiet) {
        std::fprintf(stderr,
                     "gwsync: the shares' manifests are in the bucket, one per share; they are "
                     "not joined (verify against the bucket itself)\n");
      }
    } else {
      auto joined = session::JoinShareManifests(parts);
      if (!joined.ok()) {
        merged.problems.push_back("manifest not written: " + joined.status().message());
        merged.report["complete"] = false;
        merged.report["problems"] = merged.problems;
      } else {
        merged.report["manifests"].push_back(*joined);
      }
    }
  }
  std::string json =
      merged.report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (flags.output.empty() || flags.output == "-") {
    std::fputs(json.c_str(), stdout);
  } else {
    std::ofstream out(flags.output, std::ios::trunc);
    out << json;
    if (!out.flush()) return Fail(Internal("cannot write '" + flags.output + "'"));
  }
  const auto& r = merged.report;
  // On stdout unless the report is there: it names the manifest too.
  if (!flags.output.empty() && flags.output != "-" && !global.quiet) {
    for (const auto& m : r["manifests"])
      std::printf("manifest: %s\n", m.get<std::string>().c_str());
  }
  if (!merged.complete() && !global.quiet) {
    std::fprintf(stderr, "gwsync: %zu of %d shares reported, %llu source objects, %llu errors\n",
                 r["shares"].size(), r["count"].get<int>(),
                 static_cast<unsigned long long>(r["source_objects"].get<uint64_t>()),
                 static_cast<unsigned long long>(r["error_count"].get<uint64_t>()));
  }
  for (const auto& p : merged.problems) std::fprintf(stderr, "gwsync: %s\n", p.c_str());
  return merged.complete() ? 0 : 1;
}

}  // namespace

void AddReportCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto* report = app.add_subcommand("report", "work with --json reports");
  report->require_subcommand(1);
  auto f = std::make_shared<MergeFlags>();
  auto* merge = report->add_subcommand(
      "merge",
      "add the reports of sync --shard's shares into one; exit 1 if any is missing "
      "or failed");
  merge->add_option("files", f->files, "the shares' --json reports")->required();
  merge->add_option("-o,--output", f->output, "write the merged report here (default: stdout)")
      ->type_name("FILE");
  merge->callback([&flags, run, f] { *run = [&flags, f] { return RunMerge(flags, *f); }; });
}

}  // namespace gwsync::cli
