#include "cli/app.h"
#include "gwsync/objects.h"

namespace gwsync::cli {
namespace {

int RunRm(const GlobalFlags& flags, const std::vector<std::string>& targets, bool recursive) {
  std::vector<S3Url> urls;
  for (const auto& t : targets) {
    auto url = ParseS3Url(t);
    if (!url.ok()) return Fail(url.status());
    if (url->bucket.empty())
      return Fail(InvalidArgument("expected s3://BUCKET/KEY, got '" + t + "'"));
    if (url->key.empty() && !recursive) {
      return Fail(InvalidArgument("'" + t +
                                  "' names a bucket: use rm -r to delete its objects, "
                                  "or rb to remove it"));
    }
    urls.push_back(*url);
  }
  auto gateway = OpenGateway(flags);
  if (!gateway.ok()) return Fail(gateway.status());
  for (const auto& url : urls) {
    if (recursive) {
      auto stats = DeletePrefix(**gateway, url, false, [&](const std::string& key) {
        Say(flags, "deleted s3://" + url.bucket + "/" + key);
      });
      if (!stats.ok()) return Fail(stats.status());
      continue;
    }
    Status s = DeleteObject(**gateway, url);
    if (!s.ok()) return Fail(s);
    Say(flags, "deleted " + url.ToString());
  }
  return 0;
}

}  // namespace

void AddRmCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto targets = std::make_shared<std::vector<std::string>>();
  auto recursive = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("rm", "delete objects");
  cmd->add_option("targets", *targets, "s3://BUCKET/KEY ...")->required();
  cmd->add_flag("-r,--recursive", *recursive, "delete every key under the prefix");
  cmd->callback([&flags, run, targets, recursive] {
    *run = [&flags, targets, recursive] { return RunRm(flags, *targets, *recursive); };
  });
}

}  // namespace gwsync::cli
