// What every command of the command line shares, on the library's public
// surface only (engine/include/gwsync/): the global flags, the Runner each
// command sets, each command's registration, the gateway opened from the
// flags, and the printing of errors and lines. Used on the main thread only.
// The gwsync_cli target compiles every command without the engine's headers
// on its include path.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync::cli {

// The gateway flags are the library's GatewayOptions (gwsync/gateway.h):
// the command line and a program using the library resolve them alike.
struct GlobalFlags : GatewayOptions {
  bool quiet = false;
  bool allow_core_dumps = false;
};

// Carries out the command the user picked; returns the process exit code.
using Runner = std::function<int()>;

// Each command registers its sub-command and flags on the CLI11 app; when
// the user picks it, *run is set to the function that carries it out. One
// file per command.
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

// With --insecure: a warning on stderr, said each time a command is about to
// reach the gateways (the library itself does not print).
void WarnInsecure(const GlobalFlags& flags);

// The gateways of the flags, opened (Gateway::Open), after WarnInsecure.
StatusOr<std::unique_ptr<Gateway>> OpenGateway(const GlobalFlags& flags);

// Prints "gwsync: MESSAGE" on stderr and returns the exit code for `status`.
int Fail(const Status& status);
// Prints a line on stdout unless quiet.
void Say(const GlobalFlags& flags, const std::string& line);

// True when stdout is a pipe or socket whose reader has gone (`| head`).
bool StdoutClosed();
// Ends the process the way a closed pipe ends `cat`: by SIGPIPE, without a
// message (the shell sees 141). A reader that stopped early is not an error.
[[noreturn]] void EndOnClosedStdout();

}  // namespace gwsync::cli
