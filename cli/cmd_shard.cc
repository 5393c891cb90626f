// gwsync shard-plan: the split points of a sharded sync, written once to a
// file every share reads (`sync --shard I/N --shard-plan FILE`), so that all
// shares agree on them even while the bucket changes.
#include <cstdio>

#include "cli/app.h"
#include "gwsync/files.h"
#include "gwsync/sync.h"
#include "gwsync/units.h"

namespace gwsync::cli {
namespace {

struct ShardPlanFlags {
  std::string src, dst, output, remotes_file;
  int shares = 0;
  bool quick = false;
};

int RunShardPlan(const GlobalFlags& global, const ShardPlanFlags& flags) {
  if (flags.shares < 1) return Fail(InvalidArgument("-n: the number of shares must be at least 1"));
  WarnInsecure(global);
  auto session = SyncSession::Open(global, flags.remotes_file);
  if (!session.ok()) return Fail(session.status());
  auto plan = (*session)->PlanShares(flags.src, flags.dst, flags.shares, flags.quick);
  if (!plan.ok()) return Fail(plan.status());
  if (flags.output.empty() || flags.output == "-") {
    std::fputs(plan->json.c_str(), stdout);
    return 0;
  }
  // Written beside and renamed: a share never reads half a plan.
  Status written = WriteFileAtomically(flags.output, plan->json, DefaultFileMode());
  if (!written.ok()) return Fail(written);
  if (!global.quiet) {
    for (int i = 0; i < plan->count; ++i) {
      std::printf("share %d: after '%s' through '%s'", i,
                  plan->after[i] ? plan->after[i]->c_str() : "(start)",
                  plan->through[i] ? plan->through[i]->c_str() : "(end)");
      if (!plan->keys.empty()) {
        std::printf(": %llu keys, %s", static_cast<unsigned long long>(plan->keys[i]),
                    FormatSize(plan->bytes[i]).c_str());
      }
      std::printf("\n");
    }
    std::printf("plan of %d shares written to %s\n", plan->count, flags.output.c_str());
  }
  return 0;
}

}  // namespace

void AddShardCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<ShardPlanFlags>();
  auto* cmd = app.add_subcommand(
      "shard-plan", "split SRC -> DST into N shares of about as many keys each, for sync --shard");
  cmd->add_option("source", f->src, "SRC (as for sync)")->required();
  cmd->add_option("destination", f->dst, "DST (as for sync)")->required();
  cmd->add_option("-n,--shares", f->shares, "number of shares")->required();
  cmd->add_option("-o,--output", f->output, "plan file to write (default: stdout)")
      ->type_name("FILE");
  cmd->add_flag("--quick", f->quick,
                "split by a few delimiter listings instead of one full listing (no counts)");
  cmd->add_option("--remotes", f->remotes_file,
                  "remotes file (default ~/.config/gwsync/remotes.conf)")
      ->type_name("FILE");
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return RunShardPlan(flags, *f); }; });
}

}  // namespace gwsync::cli
