// gwsync::Verify (gwsync/verify.h): the sides opened through a session::Session
// (remotes included), verify::Verify or every bucket, an --all-versions
// backup's history, and the one verdict.
#include "gwsync/verify.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "api/resolve.h"
#include "config/config.h"
#include "gwsync/units.h"
#include "session/session.h"
#include "verify/every_bucket.h"
#include "verify/sides.h"
#include "verify/versions.h"

namespace gwsync {
namespace {

VerifyDifference Public(const verify::Difference& d) {
  VerifyDifference p;
  switch (d.kind) {
    case verify::DifferenceKind::kMissing:
      p.kind = VerifyDifference::Kind::kMissing;
      break;
    case verify::DifferenceKind::kExtra:
      p.kind = VerifyDifference::Kind::kExtra;
      break;
    case verify::DifferenceKind::kDifferent:
      p.kind = VerifyDifference::Kind::kDifferent;
      break;
    case verify::DifferenceKind::kUnverified:
      p.kind = VerifyDifference::Kind::kUnverified;
      break;
  }
  p.key = d.key;
  p.why = d.why;
  return p;
}

// An --all-versions backup on either side: its history checked too, against
// its own folder and against the other side when that is a bucket or a
// folder. Whether there was one.
bool VerifyHistory(const std::string& src, const std::string& dst, session::Session& session,
                   const plan::Filter& filter, const verify::VerifyOptions& options,
                   verify::VerifyReport* r) {
  auto s = session::ParseSideSpec(src, session.remotes());
  auto d = session::ParseSideSpec(dst, session.remotes());
  if (!s.ok() || !d.ok()) return false;
  bool any = false;
  for (int i = 0; i < 2; ++i) {
    const session::SideSpec& side = i == 0 ? *s : *d;
    const session::SideSpec& other = i == 0 ? *d : *s;
    if (side.remote) continue;
    auto manifest = verify::AllVersionsManifest(side.path);
    if (!manifest) continue;
    any = true;
    struct stat st {};
    bool folder = stat(side.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    verify::VersionsTarget target;
    if (folder) {
      target.folder = side.path;
    } else if (!other.remote) {
      target.folder = other.path;
    }
    if (!target.folder.empty()) {
      verify::AddReport(verify::VerifyVersions(*manifest, target, true, filter, options), r);
    }
    if (other.remote && !other.bucket.empty()) {
      auto client = session.ClientFor(other.remote_name);
      if (!client.ok()) {
        r->problems.push_back({dst, client.status()});
        continue;
      }
      verify::VersionsTarget bucket;
      bucket.client = *client;
      bucket.bucket = other.bucket;
      bucket.prefix = other.prefix;
      verify::AddReport(verify::VerifyVersions(*manifest, bucket, i == 0, filter, options), r);
    }
  }
  return any;
}

StatusOr<verify::VerifyReport> Compare(const VerifyRequest& request, session::Session& session,
                                       const plan::Filter& filter,
                                       const verify::VerifyOptions& options, bool* history) {
  if (verify::IsEveryBucket(request.source, session) ||
      verify::IsEveryBucket(request.destination, session)) {
    return verify::VerifyEveryBucket(request.source, request.destination, session, filter, options);
  }
  manifest::Header src_header, dst_header;
  ASSIGN_OR_RETURN(auto src, verify::OpenSide(request.source, session, filter, &src_header,
                                              options.store_links));
  ASSIGN_OR_RETURN(auto dst, verify::OpenSide(request.destination, session, filter, &dst_header,
                                              options.store_links));
  // A manifest describes what its destination held, even after a sync that
  // failed in part: the backup may lack keys its source had.
  for (const auto* h : {&src_header, &dst_header}) {
    if (h->sync_errors > 0 && request.on_notice) {
      request.on_notice("the manifest of run " + h->run + " was written after a sync with " +
                        std::to_string(h->sync_errors) + " errors");
    }
  }
  verify::VerifyReport r = verify::Verify(std::move(src), std::move(dst), options);
  *history = VerifyHistory(request.source, request.destination, session, filter, options, &r);
  return r;
}

}  // namespace

std::string_view VerifyDifference::KindName() const {
  switch (kind) {
    case Kind::kMissing:
      return verify::DifferenceName(verify::DifferenceKind::kMissing);
    case Kind::kExtra:
      return verify::DifferenceName(verify::DifferenceKind::kExtra);
    case Kind::kDifferent:
      return verify::DifferenceName(verify::DifferenceKind::kDifferent);
    case Kind::kUnverified:
      return verify::DifferenceName(verify::DifferenceKind::kUnverified);
  }
  return "";
}

std::string_view VerifySummary::VerdictName() const {
  switch (verdict) {
    case Verdict::kOk:
      return "OK";
    case Verdict::kNotProven:
      return "NOT PROVEN";
    case Verdict::kDifferent:
      return "DIFFERENT";
  }
  return "";
}

StatusOr<VerifySummary> Verify(const GatewayOptions& gateway, const VerifyRequest& request) {
  const std::string remotes_path =
      request.remotes_file.empty() ? config::DefaultRemotesPath() : request.remotes_file;
  ASSIGN_OR_RETURN(auto remotes,
                   config::ReadRemotesFile(remotes_path, !request.remotes_file.empty()));
  session::Session session(api::ResolveClusterOptions(gateway, api::Environment),
                           std::move(remotes));
  plan::Filter filter;
  for (const auto& e : request.exclude) filter.Exclude(e);
  for (const auto& i : request.include) filter.Include(i);

  verify::VerifyOptions options;
  options.content = request.content;
  options.store_links = request.store_links;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  options.parallel =
      request.parallel > 0 ? request.parallel : static_cast<int>(std::min(8u, cores));
  if (auto part = ParseSize(gateway.part_size); part.ok()) options.part_size = *part;
  if (request.on_difference) {
    options.on_difference = [&request](const verify::Difference& d) {
      request.on_difference(Public(d));
    };
  }
  bool history = false;
  ASSIGN_OR_RETURN(verify::VerifyReport r, Compare(request, session, filter, options, &history));

  VerifySummary s;
  s.source_objects = r.source_objects;
  s.destination_objects = r.destination_objects;
  s.matched = r.matched;
  s.matched_bytes = r.matched_bytes;
  s.missing = r.missing;
  s.extra = r.extra;
  s.different = r.different;
  s.unverified = r.unverified;
  s.unchecked = r.unchecked;
  s.etags_compared = r.etags_compared;
  s.contents_read = r.contents_read;
  s.contents_by_xxh3 = r.contents_by_xxh3;
  s.own_manifests = r.own_manifests;
  s.history_checked = history;
  s.versions = r.versions;
  s.differences.reserve(r.differences.size());
  for (const auto& d : r.differences) s.differences.push_back(Public(d));
  for (const auto& p : r.problems) s.problems.push_back({p.path, p.status.message()});
  // Unverified or unread alone is no difference found, and no proof either.
  const bool only_unproven = (r.unverified > 0 || r.unchecked > 0) && r.missing == 0 &&
                             r.extra == 0 && r.different == 0 && r.problems.empty();
  s.verdict = r.ok()          ? VerifySummary::Verdict::kOk
              : only_unproven ? VerifySummary::Verdict::kNotProven
                              : VerifySummary::Verdict::kDifferent;
  return s;
}

}  // namespace gwsync
