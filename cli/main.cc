// gwsync: a parallel sync engine for S3-compatible gateways (Ceph RGW first).
#include <CLI/CLI.hpp>
#include <csignal>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace gwsync::cli;
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"gwsync: fast, gentle, verified sync for S3-compatible gateways (Ceph RGW)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gwsync 0.1.0");
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
  app.add_option("--access-key", flags.access_key, "access key (or AWS_ACCESS_KEY_ID)");
  app.add_option("--secret-key", flags.secret_key, "secret key (or AWS_SECRET_ACCESS_KEY)");
  app.add_option("--signature", flags.signature, "request signing: v4 (default) or v2");
  app.add_option("--region", flags.region, "SigV4 region (default us-east-1)");
  app.add_option("--config", flags.config_file, "s3cmd-style config file (default ~/.s3cfg)");
  app.add_option("--concurrency", flags.concurrency,
                 "requests in flight (default: 8 for one object, 32 objects for sync)");
  app.add_option("--part-size", flags.part_size, "multipart part size (default 16MiB)");
  app.add_option("--multipart-threshold", flags.multipart_threshold,
                 "use multipart from this size on (default 64MiB)");
  app.add_flag("-q,--quiet", flags.quiet, "print nothing but errors");
  app.add_flag("--insecure", flags.insecure, "do not verify the gateway's TLS certificate");

  Runner run;
  AddLsCommand(app, flags, &run);
  AddBucketCommands(app, flags, &run);
  AddCopyCommands(app, flags, &run);
  AddRmCommand(app, flags, &run);
  AddSyncCommand(app, flags, &run);
  AddVerifyCommand(app, flags, &run);
  AddDuCommand(app, flags, &run);
  AddBenchCommand(app, flags, &run);
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return run ? run() : 2;
}
