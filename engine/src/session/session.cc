// size: the run shapes (a pair, a bucket, every bucket, a share) share the
// session's clusters, index and lock options.
#include "session/session.h"

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "index/index.h"
#include "s3/url.h"
#include "session/bucket_settings.h"
#include "session/manifest_retention.h"
#include "session/pair_lock.h"
#include "session/run_manifest.h"
#include "session/version_listing.h"
#include "session/versions.h"
#include "sides/bucket_side.h"
#include "sides/local_side.h"

namespace gwsync::session {

StatusOr<SideSpec> ParseSideSpec(const std::string& arg,
                                 const std::map<std::string, RemoteCluster>& remotes) {
  SideSpec side;
  if (s3::IsS3Url(arg)) {
    ASSIGN_OR_RETURN(s3::S3Url url, s3::ParseS3Url(arg));
    side.remote = true;
    side.bucket = url.bucket;
    side.prefix = url.key;
  } else if (size_t colon = arg.find(':');
             colon != std::string::npos && remotes.count(arg.substr(0, colon))) {
    side.remote = true;
    side.remote_name = arg.substr(0, colon);
    std::string rest = arg.substr(colon + 1);
    size_t slash = rest.find('/');
    side.bucket = rest.substr(0, slash);
    if (slash != std::string::npos) side.prefix = rest.substr(slash + 1);
    if (!side.bucket.empty()) RETURN_IF_ERROR(s3::ValidateBucketName(side.bucket));
  } else {
    size_t sep = arg.find(':');
    if (sep != std::string::npos && sep > 0 && arg.find('/') > sep && arg[0] != '.') {
      return InvalidArgument("unknown remote '" + arg.substr(0, sep) +
                             "' (not in the remotes file); for a folder of that name write ./" +
                             arg);
    }
    if (arg.empty()) return InvalidArgument("empty path: name a folder, s3://BUCKET or REMOTE:");
    side.path = arg;
    while (side.path.size() > 1 && side.path.back() == '/') side.path.pop_back();
  }
  if (!side.prefix.empty() && side.prefix.back() != '/') side.prefix += '/';
  return side;
}

// The transport is shut down before the client goes: its completions call
// into the client's executor and pool.
struct Session::Cluster {
  std::unique_ptr<http::CurlTransport> transport;
  std::unique_ptr<s3::Client> client;
  ~Cluster() {
    if (transport) transport->Shutdown(kShutdownGrace);
  }
};

Session::Session(StatusOr<ClusterOptions> default_cluster,
                 std::map<std::string, RemoteCluster> remotes, IndexOptions index)
    : default_cluster_(std::move(default_cluster)),
      remotes_(std::move(remotes)),
      index_(std::move(index)) {
  if (index_.enabled && index_.dir.empty()) index_.dir = index::Index::DefaultPath();
}

Session::~Session() = default;

void Session::SetIndexOptions(IndexOptions index) {
  index_ = std::move(index);
  if (index_.enabled && index_.dir.empty()) index_.dir = index::Index::DefaultPath();
}

namespace {

// A remote's cluster: the default's settings (rate limits, timeouts, TLS)
// with the remote's own gateways and keys.
StatusOr<ClusterOptions> RemoteOptions(const ClusterOptions& base, const std::string& name,
                                       const RemoteCluster& r) {
  if (r.endpoints.empty()) return InvalidArgument("remote '" + name + "' has no endpoint");
  if (r.access_key.empty() || r.secret_key.empty()) {
    return InvalidArgument("remote '" + name + "' has no access_key or secret_key");
  }
  ClusterOptions o = base;
  o.client.more_endpoints.clear();
  ASSIGN_OR_RETURN(o.client.endpoint, s3::ParseEndpoint(r.endpoints.front()));
  for (size_t i = 1; i < r.endpoints.size(); ++i) {
    ASSIGN_OR_RETURN(s3::Endpoint more, s3::ParseEndpoint(r.endpoints[i]));
    o.client.more_endpoints.push_back(more);
  }
  o.client.credentials = s3::Credentials();
  o.client.credentials.access_key = r.access_key;
  o.client.credentials.secret_key = r.secret_key;
  o.client.virtual_host = false;
  if (r.signature == "v2") {
    o.client.signature = s3::SignatureVersion::kV2;
  } else if (r.signature == "v4" || r.signature.empty()) {
    o.client.signature = s3::SignatureVersion::kV4;
  } else {
    return InvalidArgument("remote '" + name + "': invalid signature '" + r.signature +
                           "': expected v2 or v4");
  }
  if (!r.region.empty()) o.client.region = r.region;
  return o;
}

}  // namespace

StatusOr<const s3::Client*> Session::ClientFor(const std::string& remote_name) {
  auto it = clusters_.find(remote_name);
  if (it == clusters_.end()) {
    ClusterOptions options;
    if (remote_name.empty()) {
      if (!default_cluster_.ok()) return default_cluster_.status();
      options = *default_cluster_;
    } else {
      // A remote needs no default cluster, only its settings when there is one.
      ClusterOptions base = default_cluster_.ok() ? *default_cluster_ : ClusterOptions();
      ASSIGN_OR_RETURN(options, RemoteOptions(base, remote_name, remotes_.at(remote_name)));
    }
    auto cluster = std::make_unique<Cluster>();
    ASSIGN_OR_RETURN(cluster->transport, http::CurlTransport::Create(options.transport));
    cluster->client = std::make_unique<s3::Client>(cluster->transport.get(), options.client);
    it = clusters_.emplace(remote_name, std::move(cluster)).first;
  }
  return it->second->client.get();
}

StatusOr<Location> Session::Locate(const SideSpec& side, const std::string& bucket,
                                   const std::string& subdir) {
  Location loc;
  if (!side.remote) {
    loc.kind = Location::Kind::kLocal;
    loc.path = subdir.empty() ? side.path : side.path + "/" + subdir;
    // The index is keyed by the absolute folder, the same whether or not
    // the folder exists yet (a first backup creates it).
    std::error_code ec;
    std::filesystem::path abs =
        std::filesystem::weakly_canonical(std::filesystem::absolute(loc.path, ec), ec);
    if (!ec) loc.path = abs.string();
    while (loc.path.size() > 1 && loc.path.back() == '/') loc.path.pop_back();
    return loc;
  }
  loc.kind = Location::Kind::kRemote;
  loc.remote_name = side.remote_name;
  ASSIGN_OR_RETURN(loc.client, ClientFor(side.remote_name));
  loc.bucket = bucket;
  loc.prefix = side.prefix;
  const s3::ClientOptions& o = loc.client->options();
  loc.remote_id = o.endpoint.BaseUrl() + " " + o.credentials.access_key;
  return loc;
}

namespace {

// --all-versions covers a bucket backed up into a folder and such a folder
// restored; anything else it would silently not do is refused.
Status CheckAllVersions(const SideSpec& src, const SideSpec& dst, bool every_bucket,
                        const SyncOptions& o) {
  auto refuse = [](const std::string& why) { return InvalidArgument("--all-versions " + why); };
  if (src.remote && dst.remote) {
    return refuse("backs a bucket up into a folder or restores one: not bucket to bucket");
  }
  if (every_bucket) return refuse("covers one bucket: name it (s3://BUCKET)");
  if (!o.range.all()) return refuse("does not work with --shard");
  if (o.dry_run) return refuse("does not work with --dry-run");
  if (!o.manifest.folder || o.manifest.bucket || !o.manifest.path.empty() || o.manifest.sha256) {
    return refuse(
        "writes its own manifest into the backup (it is the history's record): leave out "
        "--no-manifest, --manifest, --manifest-bucket and --manifest-sha256");
  }
  if (!src.remote &&
      (o.delete_extra || o.checksum || o.create_empty_dirs || o.store_links || o.copy_links)) {
    return refuse(
        "restores into an empty bucket from the backup's manifest: --delete, --checksum, "
        "--create-empty-src-dirs, --links and --copy-links do not apply");
  }
  return Status::Ok();
}

// The notice of a plain backup of a versioned bucket: how much history it
// leaves behind (one listing of versions); none when there is none.
void AddHistoryNotice(const Location& src, SyncReport* report) {
  auto count = CountHistory(*src.client, src.bucket, "");
  if (count.ok() && count->empty()) return;
  std::string what = "older versions and delete markers are";
  if (count.ok()) {
    what = std::to_string(count->noncurrent) + " older versions and " +
           std::to_string(count->delete_markers) + " delete markers";
  }
  report->AddNotice(
      src.Name(), "the bucket is versioned: " + what + " not backed up; --all-versions keeps them" +
                      (count.ok() ? "" : " (not counted: " + count.status().message() + ")"));
}

// Where the report names what concerns a pair as a whole (its lock, its
// index): its bucket, the source's from bucket to bucket.
std::string PairName(const Location& src, const Location& dst) {
  return (src.kind == Location::Kind::kRemote ? src : dst).Name();
}

}  // namespace

StatusOr<SyncReport> Session::Run(const std::string& src_arg, const std::string& dst_arg,
                                  const SyncOptions& options) {
  ASSIGN_OR_RETURN(SideSpec src, ParseSideSpec(src_arg, remotes_));
  ASSIGN_OR_RETURN(SideSpec dst, ParseSideSpec(dst_arg, remotes_));
  if (!src.remote && !dst.remote) {
    return InvalidArgument("one side of a sync must be a bucket (s3://BUCKET or REMOTE:BUCKET)");
  }
  if (src.remote && dst.remote && (src.bucket.empty() != dst.bucket.empty())) {
    return InvalidArgument("every-bucket syncs need every bucket on both sides (s3:// or REMOTE:)");
  }
  bool every_bucket = src.remote ? src.bucket.empty() : dst.bucket.empty();
  if (options.all_versions) RETURN_IF_ERROR(CheckAllVersions(src, dst, every_bucket, options));
  if (every_bucket && !options.manifest.path.empty()) {
    return InvalidArgument(
        "--manifest PATH names one file, and this sync has one per bucket: "
        "leave it out (each bucket's destination gets its own)");
  }
  auto start = std::chrono::steady_clock::now();
  SyncReport total;
  if (every_bucket && !options.range.all()) {
    return InvalidArgument("a sharded sync covers one bucket: name it (s3://BUCKET)");
  }
  if (every_bucket) {
    // The whole pair, so that a second every-bucket run is refused at once;
    // each bucket's pair is locked too, against one-bucket runs of it.
    ASSIGN_OR_RETURN(Location s, Locate(src, "", ""));
    ASSIGN_OR_RETURN(Location d, Locate(dst, "", ""));
    std::string notice;
    ASSIGN_OR_RETURN(auto lock, LockPair(lock_, s, d, options, &notice));
    if (!notice.empty()) total.AddNotice(PairName(s, d), notice);
    RETURN_IF_ERROR(RunEveryBucket(src, dst, options, &total));
  } else {
    ASSIGN_OR_RETURN(Location s, Locate(src, src.bucket, ""));
    ASSIGN_OR_RETURN(Location d, Locate(dst, dst.bucket, ""));
    ASSIGN_OR_RETURN(SyncReport r, RunBucket(s, d, options));
    total.Add(r, src.remote ? s.bucket : d.bucket);
  }
  total.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return total;
}

StatusOr<SyncReport> Session::RunBucket(const Location& src, const Location& dst,
                                        const SyncOptions& options) {
  // One run per pair, before anything is created or transferred.
  std::string lock_notice;
  ASSIGN_OR_RETURN(auto lock, LockPair(lock_, src, dst, options, &lock_notice));
  if (options.all_versions && src.kind == Location::Kind::kLocal) {
    auto restored = RestoreVersions(src, dst, options);
    if (restored.ok() && !lock_notice.empty()) {
      restored->AddNotice(PairName(src, dst), lock_notice);
    }
    return restored;
  }
  bool settings = options.bucket_settings && !options.dry_run;
  bool backup = settings && src.kind == Location::Kind::kRemote &&
                dst.kind == Location::Kind::kLocal && src.prefix.empty();
  bool restore = settings && src.kind == Location::Kind::kLocal &&
                 dst.kind == Location::Kind::kRemote && dst.prefix.empty() && options.create_bucket;
  // A restore creates the bucket itself: object lock can only be turned on
  // by the request that creates it.
  SavedSettings saved;
  bool created = false;
  if (restore) {
    ASSIGN_OR_RETURN(saved, LoadBucketSettings(src.path));
    if (!saved.settings.empty()) {
      Status exists = s3::WaitStatus([&](auto done) { dst.client->HeadBucket(dst.bucket, done); });
      if (exists.code() == StatusCode::kNotFound) {
        Status made = s3::WaitStatus([&](auto done) {
          if (saved.object_lock()) return dst.client->CreateBucketWithObjectLock(dst.bucket, done);
          dst.client->CreateBucket(dst.bucket, done);
        });
        if (!made.ok()) return made;
        created = true;
      } else if (!exists.ok()) {
        return exists;
      }
    }
  }
  const bool existing = restore && !saved.settings.empty() && !created;
  ASSIGN_OR_RETURN(SyncReport report, RunPair(src, dst, options));
  if (!lock_notice.empty()) report.AddNotice(PairName(src, dst), lock_notice);
  if (report.interrupted) return report;  // settings are kept and applied by a run that ends
  if (backup) {
    auto problems = SaveBucketSettings(*src.client, src.bucket, dst.path);
    if (!problems.ok()) {
      report.AddError(src.Name(), problems.status().message());
    } else {
      // A versioned bucket's history is not in a plain backup: said, with
      // how much of it there is, not hidden.
      auto kept = LoadBucketSettings(dst.path);
      for (const auto& [name, body] : kept.ok() ? kept->settings : SavedSettings().settings) {
        if (name == "versioning" && !options.all_versions &&
            (body.find("<Status>Enabled</Status>") != std::string::npos ||
             body.find("<Status>Suspended</Status>") != std::string::npos)) {
          AddHistoryNotice(src, &report);
        }
      }
      for (const auto& p : *problems) {
        report.AddError(src.Name(), "bucket setting '" + p.name + "' not saved: " + p.message);
      }
    }
  }
  // Once the objects are in, so a policy that denies writes cannot refuse
  // the restore itself.
  if (created || (existing && options.apply_settings_to_existing)) {
    for (const auto& p : ApplyBucketSettings(*dst.client, dst.bucket, saved)) {
      report.AddError(dst.Name(), "bucket setting '" + p.name + "' not restored: " + p.message);
    }
  } else if (existing) {
    std::string names;
    for (const auto& [name, body] : saved.settings) names += (names.empty() ? "" : ", ") + name;
    report.AddNotice(dst.Name(), "the bucket exists: its saved settings (" + names +
                                     ") were not applied (--apply-bucket-settings applies them)");
  }
  return report;
}

// s3:// -> folder: one sub-folder per bucket; folder -> s3://: one bucket
// per sub-folder; REMOTE: -> REMOTE:: every bucket.
// NOLINTNEXTLINE(readability-function-size): three run shapes share one bucket loop
Status Session::RunEveryBucket(const SideSpec& src, const SideSpec& dst, const SyncOptions& options,
                               SyncReport* total) {
  std::vector<std::string> buckets;
  if (src.remote) {
    ASSIGN_OR_RETURN(const s3::Client* c, ClientFor(src.remote_name));
    ASSIGN_OR_RETURN(
        auto list, s3::Wait<std::vector<s3::BucketInfo>>([&](auto done) { c->ListBuckets(done); }));
    for (const auto& b : list) buckets.push_back(b.name);
  } else {
    // A one-bucket backup keeps its run manifests at its root; an
    // every-bucket backup, in each bucket's folder. Restored as every
    // bucket, each of its folders would become a bucket.
    std::error_code mec;
    if (std::filesystem::exists(
            src.path + "/" + std::string(plan::kReservedDir) + "/manifest-latest", mec)) {
      return InvalidArgument("'" + src.path +
                             "' is the backup of one bucket, not of every bucket: restore it "
                             "to one bucket (s3://BUCKET)");
    }
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(src.path, ec)) {
      if (!e.is_directory()) continue;
      std::string name = e.path().filename().string();
      // .gwsync is gwsync's own folder in a backup, never a bucket.
      if (name == plan::kReservedDir) continue;
      // A link is a bucket only with --copy-links, as links are in a tree.
      if (e.is_symlink() && !options.copy_links) {
        total->AddNotice(e.path().string(),
                         "a symbolic link, not followed (--copy-links follows links)");
        continue;
      }
      buckets.push_back(name);
    }
    if (ec) return NotFound("cannot read folder '" + src.path + "': " + ec.message());
  }
  // A bucket named as the user would, where it comes from: the source's
  // bucket, or the source's folder that would become one.
  auto bucket_name = [&src](const std::string& b) {
    if (!src.remote) return src.path + "/" + b;
    return (src.remote_name.empty() ? "s3://" : src.remote_name + ":") + b;
  };
  // A gateway that lists a bucket twice gets it synced once.
  std::sort(buckets.begin(), buckets.end());
  std::vector<std::string> once;
  for (auto& b : buckets) {
    if (!once.empty() && once.back() == b) {
      if (total->notices.empty() || total->notices.back().first != bucket_name(b)) {
        total->AddNotice(bucket_name(b), "listed more than once by the gateway: synced once");
      }
      continue;
    }
    once.push_back(std::move(b));
  }
  for (const auto& b : once) {
    if (options.stop && options.stop->load()) {
      total->interrupted = true;
      break;
    }
    if (!s3::ValidateBucketName(b).ok() || b == "." || b == "..") {
      total->AddError(bucket_name(b), "not a valid bucket name: skipped");
      continue;
    }
    // Its folder in a backup would be gwsync's own state folder, which a
    // restore never takes for a bucket: refused by name, both ways.
    if ((!src.remote || !dst.remote) && b == plan::kReservedDir) {
      total->AddError(bucket_name(b), "a bucket named like gwsync's state folder ('" +
                                          std::string(plan::kReservedDir) +
                                          "') cannot be kept in a folder backup: skipped");
      continue;
    }
    // A bucket's folder is gwsync's choice, not the user's: never a link.
    if (std::error_code lec; !dst.remote && std::filesystem::is_symlink(dst.path + "/" + b, lec)) {
      total->AddError(bucket_name(b), "'" + dst.path + "/" + b +
                                          "' is a symbolic link: nothing is written through it");
      continue;
    }
    ASSIGN_OR_RETURN(Location s, Locate(src, b, src.remote ? "" : b));
    ASSIGN_OR_RETURN(Location d, Locate(dst, b, dst.remote ? "" : b));
    // One bucket that fails (refused name, deleted mid-run) is reported;
    // the others still sync.
    auto r = RunBucket(s, d, options);
    if (!r.ok()) {
      total->AddError(bucket_name(b), r.status().message());
      continue;
    }
    total->Add(*r, b);
  }
  return Status::Ok();
}

std::string PairIndexPath(const std::string& dir, const Location& src, const Location& dst) {
  return dir + "/" + PairKey(src, dst);
}

StatusOr<SyncReport> Session::RunPair(const Location& src, const Location& dst,
                                      SyncOptions options) {
  std::unique_ptr<index::Index> index;
  std::string notice;
  if (index_.enabled && !options.index) {
    std::string path = PairIndexPath(index_.dir, src, dst);
    auto opened = index::Index::Open(path);
    if (opened.ok()) {
      index = std::move(*opened);
      options.index = index.get();
    } else {
      // Only a cache: the run goes on, slower, and says so.
      notice = opened.status().message() + "; going on without the index (it is only a cache)";
    }
  }
  RunOnce once = [&](const SyncOptions& o) { return sync::RunSync(src, dst, o); };
  ASSIGN_OR_RETURN(SyncReport r, driver_ ? driver_(src, dst, options, once) : once(options));
  if (!notice.empty()) r.AddNotice(PairName(src, dst), notice);
  // Nothing at the source: a mistyped prefix is an error (no empty backup
  // with a manifest to prove it); an empty bucket, a fact worth saying. A
  // share of a sharded sync may well be empty.
  // With --all-versions, keys whose current version is a delete marker
  // still have a history to keep.
  // A driver's runs (the change feed's batches) list no source.
  if (!driver_ && src.kind == Location::Kind::kRemote && r.source_objects == 0 &&
      options.manifest.share.empty() && r.error_count == 0 && !options.all_versions) {
    const std::string where = "s3://" + src.bucket + "/" + src.prefix;
    if (!src.prefix.empty()) {
      return Status(StatusCode::kNotFound,
                    "nothing under '" + where + "' to sync: no such prefix (mistyped?)");
    }
    r.AddNotice(src.Name(), "the bucket is empty");
  }
  // An interrupted run is no backup to prove: manifest-latest still names
  // the last one that finished.
  if (r.interrupted) return r;
  // While the pair's index is open: the manifest takes ETags from it (and
  // a history's current versions are the tree's files it knows).
  if (options.all_versions) {
    auto written = BackupVersions(src, dst, options, &r);
    if (!written.ok()) {
      r.AddError(dst.Name(),
                 "versions not backed up, no manifest written: " + written.status().message());
    } else {
      r.manifests.push_back(*written);
      PruneRunManifests(dst, options.manifest, &r);
    }
    return r;
  }
  AddManifest(src, dst, options, r.error_count, &r);
  return r;
}

StatusOr<ShardPlan> Session::PlanShares(const std::string& src_arg, const std::string& dst_arg,
                                        int n, bool full) {
  ASSIGN_OR_RETURN(SideSpec src, ParseSideSpec(src_arg, remotes_));
  ASSIGN_OR_RETURN(SideSpec dst, ParseSideSpec(dst_arg, remotes_));
  if ((src.remote && src.bucket.empty()) || (dst.remote && dst.bucket.empty())) {
    return InvalidArgument("a sharded sync covers one bucket: name it (s3://BUCKET)");
  }
  ShardPlan plan;
  if (src.remote) {
    ASSIGN_OR_RETURN(Location s, Locate(src, src.bucket, ""));
    if (!full) {
      ASSIGN_OR_RETURN(plan, QuickBounds(*s.client, s.bucket, s.prefix, n));
    } else {
      ASSIGN_OR_RETURN(auto stream, sides::OpenBucketStream(*s.client, s.bucket, s.prefix, {}));
      ASSIGN_OR_RETURN(plan, PlanFromStream(*stream, n));
    }
  } else {
    ASSIGN_OR_RETURN(auto stream, sides::OpenLocalStream(src.path, {}));
    ASSIGN_OR_RETURN(plan, PlanFromStream(*stream, n));
  }
  plan.source = src_arg;
  return plan;
}

// The run manifest (session/run_manifest.h); one that cannot be written is an
// error of the run: the backup would not be provable.
void Session::AddManifest(const Location& src, const Location& dst, const SyncOptions& options,
                          uint64_t errors, SyncReport* total) {
  if (dst.kind == Location::Kind::kRemote && options.manifest.bucket &&
      options.manifest.path.empty() && total->manifest_names_in_source > 0) {
    // gwsync's manifest must not replace a key the sync just copied.
    total->AddNotice(dst.Name(),
                     "run manifest not written into the bucket: the source has keys named as "
                     "gwsync's manifests (.gwsync/manifest-...); use --manifest PATH");
    return;
  }
  auto written = WriteRunManifest(src, dst, options, errors);
  if (!written.ok()) {
    total->AddError(dst.Name(), "manifest not written: " + written.status().message());
  } else if (!written->empty()) {
    total->manifests.push_back(*written);
    PruneRunManifests(dst, options.manifest, total);
  }
}

std::vector<std::pair<std::string, std::vector<gateway::EndpointStats>>> Session::Stats() const {
  std::vector<std::pair<std::string, std::vector<gateway::EndpointStats>>> out;
  for (const auto& [name, cluster] : clusters_) {
    out.emplace_back(name.empty() ? "default" : name, cluster->client->EndpointStats());
  }
  return out;
}

}  // namespace gwsync::session
