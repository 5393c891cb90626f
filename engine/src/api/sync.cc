// gwsync::SyncSession and gwsync::Sync (gwsync/sync.h): a SyncRequest as the
// engine's SyncOptions, run by a session::Session as `gwsync sync` runs it;
// the share a run takes, its --json report, shard plans and the folder-name
// hint. The change feed's driver is in api/sync_feed.cc.
#include "gwsync/sync.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/resolve.h"
#include "api/sync_feed.h"
#include "config/config.h"
#include "index/index.h"
#include "session/session.h"
#include "session/shard_plan.h"
#include "sides/key_range.h"

namespace gwsync {

struct SyncSession::Impl {
  Impl(const GatewayOptions& gateway, std::map<std::string, session::RemoteCluster> remotes)
      : gateway(gateway),
        session(api::ResolveClusterOptions(gateway, api::Environment), std::move(remotes)) {}
  const GatewayOptions gateway;
  // The default cluster may be unconfigured when both sides are remotes:
  // its problem is said only when a side needs it.
  session::Session session;
  std::optional<SyncShare> share;
  nlohmann::json share_json;  // the --json report's "shard"
};

namespace {

std::optional<std::string> Bound(const std::optional<std::string>& b) {
  if (!b) return std::nullopt;
  return sides::EncodeKey(*b);
}

nlohmann::json BoundJson(const std::optional<std::string>& b) {
  return b ? nlohmann::json(*b) : nlohmann::json(nullptr);
}

// The share `request.shard` names, its split points (from the plan file, or
// planned now) and its key range.
Status ResolveShare(const SyncRequest& request, session::Session& session, sides::KeyRange* range,
                    SyncShare* out) {
  ASSIGN_OR_RETURN(sides::ShareSpec spec, sides::ParseShareSpec(request.shard));
  session::ShardPlan plan;
  if (!request.shard_plan.empty()) {
    ASSIGN_OR_RETURN(plan, session::ReadShardPlan(request.shard_plan));
    if (plan.count() != spec.count) {
      return InvalidArgument("'" + request.shard_plan + "' splits the keys into " +
                             std::to_string(plan.count()) + " shares, not " +
                             std::to_string(spec.count));
    }
  } else {
    ASSIGN_OR_RETURN(plan,
                     session.PlanShares(request.source, request.destination, spec.count, false));
  }
  *range = sides::ShareRange(plan.bounds, spec.index);
  out->index = spec.index;
  out->count = spec.count;
  out->after = Bound(range->after);
  out->through = Bound(range->through);
  out->bounds_from = plan.method;
  if (plan.keys.size() == static_cast<size_t>(spec.count)) {
    out->planned_keys = plan.keys[spec.index];
    out->planned_bytes = plan.bytes[spec.index];
  }
  return Status::Ok();
}

nlohmann::json ShareJson(const SyncShare& s) {
  nlohmann::json j = {{"index", s.index},
                      {"count", s.count},
                      {"after", BoundJson(s.after)},
                      {"through", BoundJson(s.through)},
                      {"bounds_from", s.bounds_from}};
  if (s.planned_keys) {
    j["planned_keys"] = *s.planned_keys;
    j["planned_bytes"] = *s.planned_bytes;
  }
  return j;
}

// The request's flags as the engine's options, checked as the command
// checks them.
StatusOr<sync::SyncOptions> OptionsOf(const GatewayOptions& gateway, const SyncRequest& r) {
  sync::SyncOptions o;
  o.delete_extra = r.delete_extra;
  o.dry_run = r.dry_run;
  o.checksum = r.checksum;
  o.require_verified = r.require_verified;
  o.force_delete = r.force_delete;
  o.bucket_settings = r.bucket_settings;
  o.apply_settings_to_existing = r.apply_bucket_settings;
  ASSIGN_OR_RETURN(o.max_delete, sync::ParseDeleteLimit(r.max_delete));
  if (gateway.concurrency < 0) return InvalidArgument("concurrency must be at least 1");
  if (gateway.concurrency > 0) o.concurrency = gateway.concurrency;
  o.restore_owner = r.preserve_owner && geteuid() == 0;
  o.preserve_modes = r.preserve_modes;
  o.preserve_special_bits = r.preserve_special_bits;
  o.copy_links = r.copy_links;
  o.create_empty_dirs = r.create_empty_dirs;
  o.store_links = r.store_links;
  o.all_versions = r.all_versions;
  if (r.copy_links && r.store_links) {
    return InvalidArgument("--copy-links and --links exclude each other");
  }
  o.manifest.folder = r.run_manifest;
  o.manifest.bucket = r.manifest_bucket || !r.manifest_path.empty();
  o.manifest.path = r.manifest_path;
  o.manifest.sha256 = r.manifest_sha256;
  o.manifest.keep = r.keep_manifests;
  for (const auto& e : r.exclude) o.filter.Exclude(e);
  for (const auto& i : r.include) o.filter.Include(i);
  ASSIGN_OR_RETURN(o.transfer, api::ResolveTransferOptions(gateway));
  o.transfer.parallel = std::min(8, o.concurrency);
  o.on_progress = r.on_progress;
  if (r.on_planned) {
    o.on_plan = [f = r.on_planned](const plan::Action& a) { f(plan::ActionName(a.kind), a.key); };
  }
  o.stop = r.stop;
  return o;
}

}  // namespace

SyncSession::SyncSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SyncSession::~SyncSession() = default;

StatusOr<std::unique_ptr<SyncSession>> SyncSession::Open(const GatewayOptions& gateway,
                                                         const std::string& remotes_file) {
  const std::string path = remotes_file.empty() ? config::DefaultRemotesPath() : remotes_file;
  ASSIGN_OR_RETURN(auto remotes, config::ReadRemotesFile(path, !remotes_file.empty()));
  auto impl = std::make_unique<Impl>(gateway, std::move(remotes));
  return std::unique_ptr<SyncSession>(new SyncSession(std::move(impl)));
}

StatusOr<SyncReport> SyncSession::Run(const SyncRequest& request) {
  Impl& m = *impl_;
  m.share.reset();
  m.share_json = nullptr;
  ASSIGN_OR_RETURN(sync::SyncOptions options, OptionsOf(m.gateway, request));
  session::IndexOptions index;
  index.enabled = request.use_index;
  index.dir = request.index_dir.empty() ? index::Index::DefaultPath() : request.index_dir;
  if (!request.shard.empty()) {
    SyncShare share;
    RETURN_IF_ERROR(ResolveShare(request, m.session, &options.range, &share));
    if (!request.manifest_path.empty()) {
      return InvalidArgument(
          "--manifest PATH names one file, and each share writes a manifest of its own keys "
          "(`report merge` joins them): leave --manifest out with --shard");
    }
    const std::string name = std::to_string(share.index) + "-of-" + std::to_string(share.count);
    options.manifest.share = "share-" + name;
    // Shares running side by side must not wait on one database's lock.
    index.dir += "-shard-" + name;
    m.share_json = ShareJson(share);
    m.share = std::move(share);
  } else if (!request.shard_plan.empty()) {
    return InvalidArgument("--shard-plan needs --shard I/N");
  }
  m.session.SetIndexOptions(index);
  RETURN_IF_ERROR(api::InstallFeedDriver(request.feed, index.enabled, request.dry_run, &m.session));
  m.session.SetLockOptions(
      {"", std::chrono::milliseconds(static_cast<int64_t>(request.wait_lock * 1000))});
  return m.session.Run(request.source, request.destination, options);
}

const std::optional<SyncShare>& SyncSession::share() const { return impl_->share; }

std::string SyncSession::ReportJson(const SyncReport& report, const SyncRequest& request,
                                    int exit_code) const {
  nlohmann::json j = session::ReportJson(report, request.source, request.destination,
                                         request.dry_run, &impl_->session);
  j["exit_code"] = exit_code;
  if (impl_->share) j["shard"] = impl_->share_json;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<SharePlan> SyncSession::PlanShares(const std::string& source,
                                            const std::string& destination, int n, bool quick) {
  if (n < 1) return InvalidArgument("-n: the number of shares must be at least 1");
  ASSIGN_OR_RETURN(session::ShardPlan plan,
                   impl_->session.PlanShares(source, destination, n, !quick));
  SharePlan out;
  out.count = plan.count();
  out.json = session::ShardPlanJson(plan);
  for (int i = 0; i < plan.count(); ++i) {
    out.after.push_back(i > 0 ? Bound(plan.bounds[i - 1]) : std::nullopt);
    out.through.push_back(i + 1 < plan.count() ? Bound(plan.bounds[i]) : std::nullopt);
  }
  out.keys = plan.keys;
  out.bytes = plan.bytes;
  return out;
}

ClusterStats SyncSession::Stats() const { return impl_->session.Stats(); }

// s3cmd and rsync copy a folder named without a trailing slash as a folder
// (`s3cmd sync wal_005 s3://db_wal` stores wal_005/...); gwsync syncs what
// is in it, as for `wal_005/`. No hint when the destination already ends in
// the source's name (`wal_005 s3://db_wal/wal_005`): that is the s3cmd
// layout, named.
std::string SyncSession::FolderNameHint(const std::string& src_arg,
                                        const std::string& dst_arg) const {
  const auto& remotes = impl_->session.remotes();
  auto src = session::ParseSideSpec(src_arg, remotes);
  auto dst = session::ParseSideSpec(dst_arg, remotes);
  if (!src.ok() || !dst.ok() || src->remote == dst->remote || src_arg.ends_with('/')) return "";
  auto with_slash = [](std::string s) { return s.ends_with('/') ? s : s + "/"; };
  auto last = [](std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return std::filesystem::path(s).filename().string();
  };
  if (!src->remote) {
    std::string name = last(src->path);
    if (name.empty() || name == "." || name == ".." || dst->bucket.empty()) return "";
    if (!dst->prefix.empty() && last(dst->prefix) == name) return "";
    return "hint: the contents of '" + src_arg + "' go to " + with_slash(dst_arg) +
           " itself; s3cmd and rsync would put them under " + with_slash(dst_arg) + name +
           "/ (give that as the destination for the same layout; write '" + src_arg +
           "/' to silence this)";
  }
  if (src->prefix.empty()) return "";
  std::string name = last(src->prefix);
  if (last(dst->path) == name) return "";
  return "hint: the keys under " + src_arg + "/ go into '" + dst_arg +
         "' itself; s3cmd and rsync would put them in '" + with_slash(dst_arg) + name +
         "' (give that as the destination for the same layout; write " + src_arg +
         "/ to silence this)";
}

StatusOr<SyncReport> Sync(const GatewayOptions& gateway, const SyncRequest& request) {
  ASSIGN_OR_RETURN(auto session, SyncSession::Open(gateway, request.remotes_file));
  return session->Run(request);
}

}  // namespace gwsync
