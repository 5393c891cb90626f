#include "verify/sides.h"

#include <sys/stat.h>

#include "sides/bucket_side.h"
#include "sides/local_side.h"
#include "sides/manifest_side.h"
#include "transfer/object_transfer.h"

namespace gwsync::verify {

StatusOr<Side> OpenSide(const std::string& arg, session::Session& session,
                        const plan::Filter& filter, manifest::Header* header, bool store_links) {
  ASSIGN_OR_RETURN(session::SideSpec spec, session::ParseSideSpec(arg, session.remotes()));
  Side side;
  side.name = arg;
  if (spec.remote) {
    if (spec.bucket.empty()) {
      return InvalidArgument("'" + arg + "': name one bucket (s3://BUCKET[/PREFIX])");
    }
    ASSIGN_OR_RETURN(const s3::Client* client, session.ClientFor(spec.remote_name));
    sides::BucketListOptions o;
    o.filter = filter;
    ASSIGN_OR_RETURN(side.stream, sides::OpenBucketStream(*client, spec.bucket, spec.prefix, o));
    side.bucket = true;
    side.layout_of = [client, bucket = spec.bucket, prefix = spec.prefix](const std::string& key) {
      auto head = s3::Wait<s3::ObjectHead>(
          [&](auto done) { client->HeadObject(bucket, prefix + key, done); });
      return head.ok() ? transfer::RecordedLayout(*head) : std::optional<transfer::PartLayout>();
    };
    return side;
  }
  struct stat st {};
  if (stat(spec.path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    ASSIGN_OR_RETURN(side.stream, sides::OpenManifestStream(spec.path, filter, header));
    return side;
  }
  sides::LocalListOptions o;
  o.filter = filter;
  if (store_links) o.links = scan::Links::kStore;
  ASSIGN_OR_RETURN(side.stream, sides::OpenLocalStream(spec.path, o));
  side.local_root = spec.path;
  return side;
}

}  // namespace gwsync::verify
