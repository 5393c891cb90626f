// Each command registers its sub-command and flags on the CLI11 app; when the
// user picks it, *run is set to the function that carries it out and returns
// the process exit code. One file per command.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/context.h"

namespace gwsync::cli {

using Runner = std::function<int()>;

void AddLsCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);
void AddBucketCommands(CLI::App& app, const GlobalFlags& flags, Runner* run);  // mb, rb
void AddCopyCommands(CLI::App& app, const GlobalFlags& flags, Runner* run);    // put, get, cp
void AddRmCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);
void AddSyncCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);
void AddVerifyCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);
void AddDuCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);
void AddBenchCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);   // bench, compare
void AddShardCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);   // shard-plan
void AddReportCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);  // report merge
void AddDoctorCommand(CLI::App& app, const GlobalFlags& flags, Runner* run);
void AddFeedCommand(CLI::App& app, const GlobalFlags& flags,
                    Runner* run);  // feed setup|status|remove

}  // namespace gwsync::cli
