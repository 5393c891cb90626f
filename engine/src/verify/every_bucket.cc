#include "verify/every_bucket.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "s3/url.h"
#include "verify/sides.h"

namespace gwsync::verify {
namespace {

// The buckets one side names: a cluster's, or a folder's sub-folders that
// are valid bucket names (not .gwsync/, not temporary files).
StatusOr<std::set<std::string>> BucketsOf(const session::SideSpec& side,
                                          session::Session& session) {
  std::set<std::string> out;
  if (side.remote) {
    ASSIGN_OR_RETURN(const s3::Client* c, session.ClientFor(side.remote_name));
    ASSIGN_OR_RETURN(
        auto list, s3::Wait<std::vector<s3::BucketInfo>>([&](auto done) { c->ListBuckets(done); }));
    for (const auto& b : list) out.insert(b.name);
    return out;
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(side.path, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && s3::ValidateBucketName(name).ok()) out.insert(name);
  }
  if (ec) return NotFound("cannot read folder '" + side.path + "': " + ec.message());
  return out;
}

// How the user would name one bucket of a side.
std::string SideOf(const session::SideSpec& side, const std::string& bucket) {
  if (!side.remote) return side.path + "/" + bucket;
  if (side.remote_name.empty()) return "s3://" + bucket;
  return side.remote_name + ":" + bucket;
}

}  // namespace

bool IsEveryBucket(const std::string& arg, const session::Session& session) {
  auto spec = session::ParseSideSpec(arg, session.remotes());
  return spec.ok() && spec->remote && spec->bucket.empty();
}

StatusOr<VerifyReport> VerifyEveryBucket(const std::string& src_arg, const std::string& dst_arg,
                                         session::Session& session, const plan::Filter& filter,
                                         const VerifyOptions& options) {
  ASSIGN_OR_RETURN(session::SideSpec src, session::ParseSideSpec(src_arg, session.remotes()));
  ASSIGN_OR_RETURN(session::SideSpec dst, session::ParseSideSpec(dst_arg, session.remotes()));
  for (const auto* s : {&src, &dst}) {
    if (s->remote && !s->bucket.empty()) {
      return InvalidArgument(
          "every bucket on one side needs every bucket (s3://, REMOTE:) or a "
          "folder of buckets on the other");
    }
  }
  ASSIGN_OR_RETURN(std::set<std::string> in_src, BucketsOf(src, session));
  ASSIGN_OR_RETURN(std::set<std::string> in_dst, BucketsOf(dst, session));
  std::set<std::string> all = in_src;
  all.insert(in_dst.begin(), in_dst.end());
  VerifyReport total;
  for (const std::string& b : all) {
    if (!in_src.count(b) || !in_dst.count(b)) {
      Difference d{in_src.count(b) ? DifferenceKind::kMissing : DifferenceKind::kExtra, b + "/",
                   "the whole bucket"};
      (d.kind == DifferenceKind::kMissing ? total.missing : total.extra)++;
      if (options.on_difference) options.on_difference(d);
      if (total.differences.size() < VerifyReport::kMaxKept) total.differences.push_back(d);
      continue;
    }
    std::string s = SideOf(src, b), d = SideOf(dst, b);
    auto s_side = OpenSide(s, session, filter, nullptr, options.store_links);
    auto d_side = OpenSide(d, session, filter, nullptr, options.store_links);
    if (!s_side.ok() || !d_side.ok()) {
      const Status& why = !s_side.ok() ? s_side.status() : d_side.status();
      total.problems.push_back({!s_side.ok() ? s : d, why, true});
      continue;
    }
    VerifyOptions o = options;
    if (options.on_difference) {
      o.on_difference = [&](const Difference& diff) {
        Difference named = diff;
        named.key = b + "/" + diff.key;
        options.on_difference(named);
      };
    }
    total.Merge(Verify(std::move(*s_side), std::move(*d_side), o), b + "/");
  }
  return total;
}

}  // namespace gwsync::verify
