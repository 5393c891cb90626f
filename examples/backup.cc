// A program that uses gwsync as a library: it backs a bucket up into a
// folder (or restores one) with gwsync::Sync, prints what it did, then proves
// the copy with gwsync::Verify (sizes and ETags, and a folder's files read). It
// includes only the public headers (engine/include/gwsync/) and links only
// the gwsync_api target, which keeps the engine's own headers private: it is
// the proof that they are enough. The gateway and keys come as for `gwsync`
// from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY) or ~/.s3cfg.
//
//   gwsync_example_backup s3://registry /backup/registry [--delete]
#include <cstdio>
#include <cstring>

#include "gwsync/gateway.h"
#include "gwsync/sync.h"
#include "gwsync/verify.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::strcmp(argv[3], "--delete") != 0)) {
    std::fprintf(stderr, "usage: %s SOURCE DESTINATION [--delete]\n", argv[0]);
    return 2;
  }
  gwsync::GatewayOptions gateway;  // everything from the environment or ~/.s3cfg
  gwsync::SyncRequest request;
  request.source = argv[1];
  request.destination = argv[2];
  request.delete_extra = argc == 4;

  auto report = gwsync::Sync(gateway, request);
  if (!report.ok()) {
    std::fprintf(stderr, "backup: %s\n", report.status().message().c_str());
    return report.status().code() == gwsync::StatusCode::kInvalidArgument ? 2 : 1;
  }
  for (const auto& [action, tally] : report->actions) {
    std::printf("%-24s %8llu objects %14llu bytes\n", action.c_str(),
                static_cast<unsigned long long>(tally.objects),
                static_cast<unsigned long long>(tally.bytes));
  }
  for (const auto& [where, message] : report->errors) {
    std::fprintf(stderr, "backup: %s: %s\n", where.c_str(), message.c_str());
  }
  for (const auto& why : report->delete_refusals) std::fprintf(stderr, "backup: %s\n", why.c_str());
  for (const auto& m : report->manifests) std::printf("manifest: %s\n", m.c_str());
  std::printf("%llu errors in %.2f s\n", static_cast<unsigned long long>(report->error_count),
              report->seconds);
  if (report->ExitCode() != 0 || request.dry_run) return report->ExitCode();

  gwsync::VerifyRequest proof;
  proof.source = request.source;
  proof.destination = request.destination;
  proof.content = true;  // a folder side's files are read, not only listed
  proof.on_difference = [](const gwsync::VerifyDifference& d) {
    std::printf("%s %s %s\n", std::string(d.KindName()).c_str(), d.key.c_str(), d.why.c_str());
  };
  auto verified = gwsync::Verify(gateway, proof);
  if (!verified.ok()) {
    std::fprintf(stderr, "backup: verify: %s\n", verified.status().message().c_str());
    return 1;
  }
  std::printf("verify: %s (%llu of %llu objects match, %llu files read)\n",
              std::string(verified->VerdictName()).c_str(),
              static_cast<unsigned long long>(verified->matched),
              static_cast<unsigned long long>(verified->source_objects),
              static_cast<unsigned long long>(verified->contents_read));
  return verified->ok() ? 0 : 1;
}
