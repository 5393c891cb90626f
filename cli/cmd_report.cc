// gwsync report merge: the --json reports of a sharded sync's shares added
// into one, with the shares that are missing or failed named (exit 1 then).
// Flags and printing only: the merge is the library's (gwsync/report.h).
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/app.h"
#include "gwsync/report.h"

namespace gwsync::cli {
namespace {

struct MergeFlags {
  std::vector<std::string> files;
  std::string output;
};

int RunMerge(const GlobalFlags& global, const MergeFlags& flags) {
  auto merged = MergeShareReports(flags.files);
  if (!merged.ok()) return Fail(merged.status());
  const MergedReport& r = *merged;
  if (!global.quiet) {
    for (const auto& n : r.notices) std::fprintf(stderr, "gwsync: %s\n", n.c_str());
  }
  if (flags.output.empty() || flags.output == "-") {
    std::fputs(r.json.c_str(), stdout);
  } else {
    std::ofstream out(flags.output, std::ios::trunc);
    out << r.json;
    if (!out.flush()) return Fail(Internal("cannot write '" + flags.output + "'"));
  }
  // On stdout unless the report is there: it names the manifest too.
  if (!flags.output.empty() && flags.output != "-" && !global.quiet) {
    for (const auto& m : r.manifests) std::printf("manifest: %s\n", m.c_str());
  }
  if (!r.complete() && !global.quiet) {
    std::fprintf(stderr, "gwsync: %zu of %d shares reported, %llu source objects, %llu errors\n",
                 r.reported, r.count, static_cast<unsigned long long>(r.source_objects),
                 static_cast<unsigned long long>(r.error_count));
  }
  for (const auto& p : r.problems) std::fprintf(stderr, "gwsync: %s\n", p.c_str());
  return r.complete() ? 0 : 1;
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
