// gwsync: a parallel sync engine for S3-compatible gateways (Ceph RGW first).
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>

#include "cli/app.h"
#include "cli/generate.h"
#include "cli/suggest.h"
#include "gwsync/files.h"
#include "gwsync/interrupt.h"
#include "gwsync/printable.h"

namespace {

// Help for a command ends with the global options (--endpoint, keys, limits),
// which are given before or after the command's name alike.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_footer(const CLI::App* app) const override {
    std::string footer = CLI::Formatter::make_footer(app);
    if (app->get_parent() == nullptr) return footer;
    const CLI::App* root = app;
    while (root->get_parent() != nullptr) root = root->get_parent();
    std::vector<const CLI::Option*> globals =
        root->get_options([root, app](const CLI::Option* opt) {
          return opt->nonpositional() && opt != root->get_help_ptr() &&
                 opt != root->get_version_ptr() &&
                 app->get_option_no_throw(opt->get_name()) == nullptr;  // not shadowed
        });
    if (globals.empty()) return footer;
    return make_group("Global options", false, globals).substr(1) + footer;
  }
};

// Each occurrence of a repeatable option takes exactly one value, so that
// `sync --endpoint URL SRC DST` leaves SRC and DST to the command.
void OneValuePerOccurrence(CLI::App* app) {
  for (CLI::Option* opt : app->get_options()) {
    if (opt->nonpositional() && opt->get_items_expected_max() > 1) opt->allow_extra_args(false);
  }
  for (CLI::App* sub : app->get_subcommands({})) OneValuePerOccurrence(sub);
}

// Global options may follow any command's name, a nested one's too (bench
// compare, report merge): an option a command does not know goes up to its
// parent, and on to gwsync.
void GlobalsAfterCommands(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands({})) {
    sub->fallthrough();
    GlobalsAfterCommands(sub);
  }
}

// The long names of the options `at` takes: its own and, as options fall
// through to the commands above it, theirs.
std::vector<std::string> OptionNames(const CLI::App* at) {
  std::vector<std::string> names;
  for (; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* opt : at->get_options()) {
      for (const std::string& name : opt->get_lnames()) names.push_back(name);
    }
  }
  return names;
}

// "gwsync: MESSAGE (see gwsync [COMMAND] --help)" on one line, or, for a
// mistyped option or command with a near name, "gwsync: unknown option
// '--dleete' (did you mean '--delete'?)"; exit 2, as for any other bad input.
int ArgumentError(CLI::App& app, const CLI::ParseError& e) {
  std::string message = e.what(), command = "gwsync";
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  CLI::App* at = &app;  // the command being parsed
  for (;;) {
    std::vector<CLI::App*> picked = at->get_subcommands();
    if (picked.empty()) break;
    at = picked.front();
    command += " " + at->get_name();
  }
  // What no command took, whatever CLI11 stopped at: an unknown option is
  // the cause of a missing argument that follows it, too.
  std::vector<std::string> extra = app.remaining();
  std::string guess;
  auto unknown = std::find_if(extra.begin(), extra.end(), [](const std::string& arg) {
    return arg.starts_with("-") && arg != "-";  // "-": stdin or stdout
  });
  if (unknown != extra.end()) {
    std::string typed = unknown->substr(0, unknown->find('='));
    message = "unknown option '" + typed + "'";
    std::string_view bare(typed);
    bare.remove_prefix(std::min(bare.find_first_not_of('-'), bare.size()));
    guess = gwsync::cli::Nearest(bare, OptionNames(at));
    if (!guess.empty()) guess = "--" + guess;
    if (guess == typed) {  // the command's own option, given before its name
      message = "'" + typed + "' is an option of '" + command + "': give it after '" +
                at->get_name() + "'";
      guess.clear();
    }
  } else if (!extra.empty() && !at->get_subcommands({}).empty() &&
             at->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
    // CLI11 reports a mistyped command as a missing one. (A command that
    // takes arguments of its own took the word as one.)
    message = "unknown command '" + extra.front() + "'";
    std::vector<std::string> names;
    for (const CLI::App* sub : at->get_subcommands({})) names.push_back(sub->get_name());
    guess = gwsync::cli::Nearest(extra.front(), names);
  }
  if (!guess.empty()) {
    std::fprintf(stderr, "gwsync: %s (did you mean '%s'?)\n", gwsync::Printable(message).c_str(),
                 guess.c_str());
  } else {
    std::fprintf(stderr, "gwsync: %s (see %s --help)\n", gwsync::Printable(message).c_str(),
                 command.c_str());
  }
  return 2;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size): set-up steps in the order they must run
int main(int argc, char** argv) {
  using namespace gwsync::cli;
  // Not dumpable from the start: a core file, or another process of the same
  // user attaching, would read the secret key and the data in memory.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  std::signal(SIGPIPE, SIG_IGN);
  // Before any thread: SIGINT, SIGTERM and SIGHUP go to a thread of their
  // own (gwsync/interrupt.h), and a process they stop leaves no temporary
  // file behind but the partial downloads the next run resumes.
  gwsync::StartInterruptThread();
  gwsync::RemoveTempFilesOnSignals();

  CLI::App app{"gwsync: fast, gentle, verified sync for S3-compatible gateways (Ceph RGW)",
               "gwsync"};
  app.formatter(std::make_shared<HelpFormatter>());  // before the commands: they copy it
  app.require_subcommand(1);
  const std::string version = "gwsync 0.1.0";
  app.set_version_flag("--version", version);
  GlobalFlags flags;
  app.add_option("--endpoint", flags.endpoints,
                 "gateway URL, e.g. http://127.0.0.1:7480; repeat it for several gateways of "
                 "one cluster")
      ->type_name("URL");
  app.add_option("--rps", flags.rps, "at most this many requests per second in all");
  app.add_option("--endpoint-rps", flags.endpoint_rps, "at most this many requests/s per gateway");
  app.add_option("--bwlimit", flags.bwlimit, "at most this many bytes/s in all, e.g. 50M");
  app.add_option("--endpoint-bwlimit", flags.endpoint_bwlimit,
                 "at most this many bytes/s per gateway, e.g. 20M");
  app.add_option("--max-body-size", flags.max_body_size,
                 "never send a request body above this size (a proxy's limit), e.g. 8MiB");
  app.add_option("--timeout", flags.timeout,
                 "seconds a request may stall before it is retried elsewhere (default 60)");
  app.add_option("--min-rate", flags.min_rate,
                 "bytes/s a request must average after --timeout: each must end within "
                 "--timeout + its bytes at this rate, or is retried elsewhere (default 16KiB; "
                 "0: no such deadline)")
      ->type_name("RATE");
  app.add_option("--list-limit", flags.list_limit,
                 "stop a listing that returns more keys than this (default: twice the objects "
                 "the gateway says the bucket holds, and 100,000 more; 100,000,000 when it does "
                 "not say)");
  app.add_option("--access-key", flags.access_key, "access key (or AWS_ACCESS_KEY_ID)");
  app.add_option("--secret-key", flags.secret_key,
                 "secret key (visible in ps: prefer --secret-key-file or AWS_SECRET_ACCESS_KEY)");
  app.add_option("--secret-key-file", flags.secret_key_file,
                 "read the secret key from the first line of FILE")
      ->type_name("FILE");
  app.add_option("--signature", flags.signature, "request signing: v4 (default) or v2");
  app.add_option("--region", flags.region, "SigV4 region (default us-east-1)");
  app.add_option("--config", flags.config_file, "s3cmd-style config file (default ~/.s3cfg)")
      ->type_name("FILE");
  app.add_option("--concurrency", flags.concurrency,
                 "requests in flight (default: 8 for one object, 32 objects for sync)");
  app.add_option("--part-size", flags.part_size, "multipart part size (default 16MiB)");
  app.add_option("--multipart-threshold", flags.multipart_threshold,
                 "use multipart from this size on (default 64MiB)");
  app.add_flag("-q,--quiet", flags.quiet, "print nothing but errors");
  app.add_flag("--insecure", flags.insecure, "do not verify the gateway's TLS certificate");
  app.add_option("--ca-bundle", flags.ca_bundle,
                 "trust the CAs in this PEM file instead of the system's (or AWS_CA_BUNDLE)")
      ->type_name("FILE");
  app.add_flag("--allow-core-dumps", flags.allow_core_dumps,
               "let gwsync dump core (it holds the secret key in memory)");

  Runner run;
  AddLsCommand(app, flags, &run);
  AddBucketCommands(app, flags, &run);
  AddCopyCommands(app, flags, &run);
  AddRmCommand(app, flags, &run);
  AddSyncCommand(app, flags, &run);
  AddVerifyCommand(app, flags, &run);
  AddDuCommand(app, flags, &run);
  AddBenchCommand(app, flags, &run);
  AddShardCommand(app, flags, &run);
  AddReportCommand(app, flags, &run);
  AddDoctorCommand(app, flags, &run);
  AddFeedCommand(app, flags, &run);
  GlobalsAfterCommands(&app);
  OneValuePerOccurrence(&app);

  // Hidden: the man page and shell completions, generated at build time from
  // the definitions above.
  if (argc == 3 && std::string(argv[1]) == "--generate") {
    std::string what = argv[2];
    if (what == "man") {
      std::fputs(GenerateManPage(app, version).c_str(), stdout);
    } else if (what == "bash-completion") {
      std::fputs(GenerateBashCompletion(app).c_str(), stdout);
    } else if (what == "zsh-completion") {
      std::fputs(GenerateZshCompletion(app).c_str(), stdout);
    } else {
      std::fprintf(stderr, "gwsync: --generate takes man, bash-completion or zsh-completion\n");
      return 2;
    }
    return 0;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end the parse too, successfully.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    return ArgumentError(app, e);
  }
  if (flags.allow_core_dumps) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  return run ? run() : 2;
}
