// gwsync shard-plan: the split points of a sharded sync, written once to a
// file every share reads (`sync --shard I/N --shard-plan FILE`), so that all
// shares agree on them even while the bucket changes.
#include <cstdio>

#include "cli/commands.h"
#include "config/config.h"
#include "fileio/files.h"
#include "gwsync/units.h"
#include "session/session.h"
#include "session/shard_plan.h"

namespace gwsync::cli {
namespace {

struct ShardPlanFlags {
  std::string src, dst, output, remotes_file;
  int shares = 0;
  bool quick = false;
};

int RunShardPlan(const GlobalFlags& global, const ShardPlanFlags& flags) {
  if (flags.shares < 1) return Fail(InvalidArgument("-n: the number of shares must be at least 1"));
  std::string remotes_path =
      flags.remotes_file.empty() ? config::DefaultRemotesPath() : flags.remotes_file;
  auto remotes = config::ReadRemotesFile(remotes_path, !flags.remotes_file.empty());
  if (!remotes.ok()) return Fail(remotes.status());
  session::Session session(ResolveClusterOptions(global), std::move(*remotes));
  auto plan = session.PlanShares(flags.src, flags.dst, flags.shares, !flags.quick);
  if (!plan.ok()) return Fail(plan.status());
  std::string json = session::ShardPlanJson(*plan);
  if (flags.output.empty() || flags.output == "-") {
    std::fputs(json.c_str(), stdout);
    return 0;
  }
  // Written beside and renamed: a share never reads half a plan.
  Status written = fileio::WriteFileAtomically(flags.output, json, fileio::DefaultFileMode());
  if (!written.ok()) return Fail(written);
  if (!global.quiet) {
    for (int i = 0; i < plan->count(); ++i) {
      std::printf("share %d: after '%s' through '%s'", i,
                  i > 0 ? sides::EncodeKey(plan->bounds[i - 1]).c_str() : "(start)",
                  i + 1 < plan->count() ? sides::EncodeKey(plan->bounds[i]).c_str() : "(end)");
      if (!plan->keys.empty()) {
        std::printf(": %llu keys, %s", static_cast<unsigned long long>(plan->keys[i]),
                    FormatSize(plan->bytes[i]).c_str());
      }
      std::printf("\n");
    }
    std::printf("plan of %d shares written to %s\n", plan->count(), flags.output.c_str());
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
