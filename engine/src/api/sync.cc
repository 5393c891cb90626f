// gwsync::Sync (gwsync/sync.h): a SyncRequest as the engine's SyncOptions,
// run by a session::Session as `gwsync sync` runs it; the report as a summary.
#include "gwsync/sync.h"

#include <algorithm>

#include "api/resolve.h"
#include "index/index.h"
#include "session/session.h"

namespace gwsync {
namespace {

std::vector<std::string> Joined(const std::vector<std::pair<std::string, std::string>>& kept) {
  std::vector<std::string> out;
  out.reserve(kept.size());
  for (const auto& [where, message] : kept) out.push_back(where + ": " + message);
  return out;
}

}  // namespace

StatusOr<SyncSummary> Sync(const GatewayOptions& gateway, const SyncRequest& request) {
  sync::SyncOptions options;  // the defaults are the command's
  options.delete_extra = request.delete_extra;
  options.dry_run = request.dry_run;
  options.checksum = request.checksum;
  if (gateway.concurrency < 0) return InvalidArgument("concurrency must be at least 1");
  if (gateway.concurrency > 0) options.concurrency = gateway.concurrency;
  options.manifest.folder = request.run_manifest;
  for (const auto& e : request.exclude) options.filter.Exclude(e);
  for (const auto& i : request.include) options.filter.Include(i);
  ASSIGN_OR_RETURN(options.transfer, api::ResolveTransferOptions(gateway));
  options.transfer.parallel = std::min(8, options.concurrency);

  // The default cluster may be an error: said only when a side needs it.
  session::Session session(api::ResolveClusterOptions(gateway, api::Environment), {});
  session::IndexOptions index;
  index.enabled = request.use_index;
  index.dir = request.index_dir.empty() ? index::Index::DefaultPath() : request.index_dir;
  session.SetIndexOptions(index);
  ASSIGN_OR_RETURN(sync::SyncReport r, session.Run(request.source, request.destination, options));

  SyncSummary s;
  for (const auto& [name, t] : r.actions) s.actions[name] = {t.objects, t.bytes};
  s.errors = r.error_count;
  s.notices = r.notice_count;
  s.unverified = r.unverified_count;
  s.error_messages = Joined(r.errors);
  s.error_messages.insert(s.error_messages.end(), r.delete_refusals.begin(),
                          r.delete_refusals.end());
  s.notice_messages = Joined(r.notices);
  s.manifests = r.manifests;
  s.seconds = r.seconds;
  s.exit_code = r.ExitCode();
  return s;
}

}  // namespace gwsync
