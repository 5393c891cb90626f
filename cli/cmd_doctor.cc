// gwsync doctor ENDPOINT: flags and printing only; the probes are the
// engine's (doctor/doctor.h).
#include <cstdio>

#include "cli/commands.h"
#include "doctor/doctor.h"
#include "gwsync/units.h"

namespace gwsync::cli {
namespace {

struct DoctorFlags {
  std::string endpoint;
  std::string max_body = "64MiB";
};

int RunDoctor(const GlobalFlags& global, const DoctorFlags& flags) {
  // The gateway named here, or the one every other command takes
  // (--endpoint, AWS_ENDPOINT_URL, ~/.s3cfg).
  GlobalFlags one = global;
  if (!flags.endpoint.empty()) one.endpoints = {flags.endpoint};
  auto max_body = ParseSize(flags.max_body);
  if (!max_body.ok()) return Fail(max_body.status());
  auto cluster = ResolveClusterOptions(one);
  if (!cluster.ok()) return Fail(cluster.status());
  auto part_size = ParseSize(one.part_size);
  if (!part_size.ok()) return Fail(part_size.status());
  // Each answer is a measurement: few retries, and none of a throttled one
  // for half a minute.
  cluster->client.pool.max_attempts = 2;
  cluster->client.pool.max_throttled_attempts = 2;
  auto transport = http::CurlTransport::Create(cluster->transport);
  if (!transport.ok()) return Fail(transport.status());

  doctor::Options options;
  options.client = cluster->client;
  options.max_body = *max_body;
  options.part_size = *part_size;
  options.on_finding = [](const doctor::Finding& f) {
    std::printf("  %-24s %-4s %s\n", f.topic.c_str(), f.supported ? "yes" : "NO", f.detail.c_str());
    std::fflush(stdout);
  };
  std::printf("gwsync doctor: %s\n", cluster->client.endpoint.BaseUrl().c_str());
  auto report = doctor::Examine(transport->get(), options);
  if (!report.ok()) return Fail(report.status());
  std::printf("gwsync will use:\n");
  for (const auto& line : report->uses) std::printf("  %s\n", line.c_str());
  if (!report->unusable.empty()) return Fail(PermissionDenied(report->unusable));
  return 0;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<DoctorFlags>();
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
