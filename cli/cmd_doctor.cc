// gwsync doctor ENDPOINT: flags and printing only; the probes are the
// library's (gwsync/doctor.h).
#include <cstdio>

#include "cli/app.h"
#include "gwsync/doctor.h"

namespace gwsync::cli {
namespace {

int RunDoctor(const GlobalFlags& global, const DoctorRequest& flags) {
  DoctorRequest request = flags;
  request.on_start = [&](const std::string& endpoint) {
    std::printf("gwsync doctor: %s\n", endpoint.c_str());
  };
  request.on_finding = [](const DoctorFinding& f) {
    std::printf("  %-24s %-4s %s\n", f.topic.c_str(), f.supported ? "yes" : "NO", f.detail.c_str());
    std::fflush(stdout);
  };
  WarnInsecure(global);
  auto report = ExamineGateway(global, request);
  if (!report.ok()) return Fail(report.status());
  std::printf("gwsync will use:\n");
  for (const auto& line : report->uses) std::printf("  %s\n", line.c_str());
  if (!report->unusable.empty()) return Fail(PermissionDenied(report->unusable));
  return 0;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<DoctorRequest>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "probe a gateway: what it supports and what gwsync will use (in a scratch bucket it "
      "removes)");
  cmd->add_option("endpoint", f->endpoint,
                  "the gateway, e.g. http://127.0.0.1:7480 (default: --endpoint, "
                  "AWS_ENDPOINT_URL or ~/.s3cfg, as for every command)")
      ->type_name("URL");
  cmd->add_option("--max-body", f->max_body,
                  "largest PUT body tried when looking for a proxy's limit (default 64MiB)");
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return RunDoctor(flags, *f); }; });
}

}  // namespace gwsync::cli
