// gwsync report merge: the --json reports of a sharded sync's shares added
// into one, with the shares that are missing or failed named (exit 1 then).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "sync/report_merge.h"

namespace gwsync::cli {
namespace {

struct MergeFlags {
  std::vector<std::string> files;
  std::string output;
};

int RunMerge(const GlobalFlags& global, const MergeFlags& flags) {
  std::vector<sync::ReportFile> files;
  for (const auto& name : flags.files) {
    std::ifstream in(name);
    if (!in) return Fail(NotFound("cannot read report '" + name + "'"));
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back({name, ss.str()});
  }
  sync::MergedReport merged = sync::MergeReports(files);
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
