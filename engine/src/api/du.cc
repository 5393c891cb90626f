// gwsync::DiskUsage (gwsync/du.h): the target resolved as a sync's side
// (remotes included), counted by du::DiskUsage.
#include "du/du.h"

#include "api/resolve.h"
#include "config/config.h"
#include "session/session.h"

namespace gwsync {

StatusOr<DuReport> DiskUsage(const GatewayOptions& gateway, const DuRequest& request) {
  std::string remotes_path =
      request.remotes_file.empty() ? config::DefaultRemotesPath() : request.remotes_file;
  ASSIGN_OR_RETURN(auto remotes,
                   config::ReadRemotesFile(remotes_path, !request.remotes_file.empty()));
  session::Session session(api::ResolveClusterOptions(gateway, api::Environment),
                           std::move(remotes));
  ASSIGN_OR_RETURN(session::SideSpec spec,
                   session::ParseSideSpec(request.target, session.remotes()));
  if (!spec.remote || spec.bucket.empty()) {
    return InvalidArgument("du needs a bucket: s3://BUCKET[/PREFIX] or REMOTE:BUCKET");
  }
  if (request.depth < 1) return InvalidArgument("--depth must be at least 1");
  ASSIGN_OR_RETURN(const s3::Client* client, session.ClientFor(spec.remote_name));
  du::DuOptions options;
  options.depth = request.depth;
  if (request.on_prefix) {
    options.on_prefix = [&](const std::string& group, const du::Usage& u) {
      request.on_prefix(spec.bucket, spec.prefix + group, u);
    };
  }
  auto report = du::DiskUsage(*client, spec.bucket, spec.prefix, options);
  if (!report.ok()) return report.status().Annotate(request.target);
  return report;
}

}  // namespace gwsync
