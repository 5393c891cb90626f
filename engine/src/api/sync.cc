// gwsync::Sync (gwsync/sync.h): a SyncRequest as the engine's SyncOptions,
// run by a session::Session as `gwsync sync` runs it.
#include "gwsync/sync.h"

#include <algorithm>

#include "api/resolve.h"
#include "index/index.h"
#include "session/session.h"

namespace gwsync {

StatusOr<SyncReport> Sync(const GatewayOptions& gateway, const SyncRequest& request) {
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
  return session.Run(request.source, request.destination, options);
}

}  // namespace gwsync
