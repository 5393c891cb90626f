#include "cli/app.h"
#include "gwsync/objects.h"

namespace gwsync::cli {
namespace {

StatusOr<std::string> BucketOnly(const std::string& target) {
  ASSIGN_OR_RETURN(S3Url url, ParseS3Url(target));
  if (url.bucket.empty() || !url.key.empty()) {
    return InvalidArgument("expected s3://BUCKET, got '" + target + "'");
  }
  return url.bucket;
}

int RunMb(const GlobalFlags& flags, const std::string& target) {
  auto bucket = BucketOnly(target);
  if (!bucket.ok()) return Fail(bucket.status());
  auto gateway = OpenGateway(flags);
  if (!gateway.ok()) return Fail(gateway.status());
  Status s = MakeBucket(**gateway, *bucket);
  if (!s.ok()) return Fail(s);
  Say(flags, "created bucket s3://" + *bucket);
  return 0;
}

int RunRb(const GlobalFlags& flags, const std::string& target, bool force) {
  auto bucket = BucketOnly(target);
  if (!bucket.ok()) return Fail(bucket.status());
  auto gateway = OpenGateway(flags);
  if (!gateway.ok()) return Fail(gateway.status());
  if (force) {
    auto stats = DeletePrefix(**gateway, S3Url{*bucket, ""}, /*uploads_too=*/true, nullptr);
    if (!stats.ok()) return Fail(stats.status());
    if (stats->deleted > 0) {
      Say(flags, "deleted " + std::to_string(stats->deleted) + " objects from s3://" + *bucket);
    }
  }
  Status s = RemoveBucket(**gateway, *bucket);
  if (!s.ok()) {
    if (s.s3_code() == "BucketNotEmpty") {
      return Fail(Status(
          s.code(), "bucket '" + *bucket + "' is not empty (use --force to delete its objects)"));
    }
    return Fail(s);
  }
  Say(flags, "removed bucket s3://" + *bucket);
  return 0;
}

}  // namespace

void AddBucketCommands(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto target = std::make_shared<std::string>();
  auto* mb = app.add_subcommand("mb", "make a bucket");
  mb->add_option("bucket", *target, "s3://BUCKET")->required();
  mb->callback(
      [&flags, run, target] { *run = [&flags, target] { return RunMb(flags, *target); }; });

  auto force = std::make_shared<bool>(false);
  auto* rb = app.add_subcommand("rb", "remove a bucket");
  rb->add_option("bucket", *target, "s3://BUCKET")->required();
  rb->add_flag("-f,--force", *force, "delete every object (and unfinished upload) first");
  rb->callback([&flags, run, target, force] {
    *run = [&flags, target, force] { return RunRb(flags, *target, *force); };
  });
}

}  // namespace gwsync::cli
