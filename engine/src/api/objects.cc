// gwsync/objects.h: the blocking bucket and object calls on a Gateway's
// client, and the listing and bulk delete of transfer/bulk.h.
#include "gwsync/objects.h"

#include "api/gateway_impl.h"
#include "transfer/bulk.h"

namespace gwsync {
namespace {

const s3::Client& ClientOf(const Gateway& gateway) { return api::GatewayAccess::Client(gateway); }

}  // namespace

StatusOr<std::vector<BucketInfo>> ListBuckets(const Gateway& gateway) {
  const s3::Client& client = ClientOf(gateway);
  return s3::Wait<std::vector<BucketInfo>>([&](auto done) { client.ListBuckets(done); });
}

Status ListObjects(const Gateway& gateway, const S3Url& where, bool recursive,
                   const std::function<Status(const ListVisit&)>& visit) {
  return transfer::ForEachObject(ClientOf(gateway), where.bucket, where.key, recursive, visit);
}

Status MakeBucket(const Gateway& gateway, const std::string& bucket) {
  const s3::Client& client = ClientOf(gateway);
  return s3::WaitStatus([&](auto done) { client.CreateBucket(bucket, done); });
}

Status RemoveBucket(const Gateway& gateway, const std::string& bucket) {
  const s3::Client& client = ClientOf(gateway);
  return s3::WaitStatus([&](auto done) { client.DeleteBucket(bucket, done); });
}

Status DeleteObject(const Gateway& gateway, const S3Url& object) {
  if (object.bucket.empty() || object.key.empty()) {
    return InvalidArgument("expected s3://BUCKET/KEY, got '" + object.ToString() + "'");
  }
  const s3::Client& client = ClientOf(gateway);
  // DELETE answers 204 for a missing key; HEAD first so a typo is reported.
  auto head = s3::Wait<s3::ObjectHead>(
      [&](auto done) { client.HeadObject(object.bucket, object.key, done); });
  if (!head.ok()) return head.status();
  return s3::WaitStatus([&](auto done) { client.DeleteObject(object.bucket, object.key, done); });
}

StatusOr<DeleteStats> DeletePrefix(const Gateway& gateway, const S3Url& where, bool uploads_too,
                                   const std::function<void(const std::string& key)>& on_deleted) {
  return transfer::DeletePrefix(ClientOf(gateway), where.bucket, where.key, uploads_too,
                                on_deleted);
}

}  // namespace gwsync
