#include <cstdio>

#include "cli/app.h"
#include "gwsync/objects.h"
#include "gwsync/printable.h"

namespace gwsync::cli {
namespace {

int RunLs(const GlobalFlags& flags, const std::string& target, bool recursive) {
  auto gateway = OpenGateway(flags);
  if (!gateway.ok()) return Fail(gateway.status());
  if (target.empty() || target == "s3://") {
    auto buckets = ListBuckets(**gateway);
    if (!buckets.ok()) return Fail(buckets.status());
    for (const auto& b : *buckets)
      std::printf("%s  s3://%s\n", Printable(b.creation_date).c_str(), Printable(b.name).c_str());
    return 0;
  }
  auto url = ParseS3Url(target);
  if (!url.ok()) return Fail(url.status());
  // Keys and dates come from the gateway: printed escaped, never as sent.
  const std::string bucket = Printable(url->bucket);
  Status s = ListObjects(**gateway, *url, recursive, [&](const ListVisit& v) {
    if (v.prefix) {
      std::printf("%28s  s3://%s/%s\n", "DIR", bucket.c_str(), Printable(*v.prefix).c_str());
    } else {
      std::printf("%s %12llu  s3://%s/%s\n", Printable(v.object->last_modified).c_str(),
                  static_cast<unsigned long long>(v.object->size), bucket.c_str(),
                  Printable(v.object->key).c_str());
    }
    // A reader that went away (`| head`) ends the listing.
    if (std::ferror(stdout)) return Status(StatusCode::kCancelled, "cannot write to stdout");
    return Status::Ok();
  });
  if (!s.ok()) {
    if (StdoutClosed()) EndOnClosedStdout();
    return Fail(s);
  }
  return 0;
}

}  // namespace

void AddLsCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto* cmd = app.add_subcommand("ls", "list buckets, or the objects of s3://BUCKET[/PREFIX]");
  auto target = std::make_shared<std::string>();
  auto recursive = std::make_shared<bool>(false);
  cmd->add_option("target", *target, "s3://BUCKET[/PREFIX]");
  cmd->add_flag("-r,--recursive", *recursive, "list every key under the prefix");
  cmd->callback([&flags, run, target, recursive] {
    *run = [&flags, target, recursive] { return RunLs(flags, *target, *recursive); };
  });
}

}  // namespace gwsync::cli
