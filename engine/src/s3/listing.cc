#include "s3/listing.h"

namespace gwsync::s3 {

ObjectListing::ObjectListing(const Client& client, std::string bucket, ListingOptions options)
    : client_(client),
      bucket_(std::move(bucket)),
      options_(std::move(options)),
      check_(options_.prefix, options_.delimiter, options_.budget) {
  request_.prefix = options_.prefix;
  request_.delimiter = options_.delimiter;
  request_.max_keys = options_.max_keys;
}

StatusOr<ListPage> ObjectListing::Fetch() {
  return Wait<ListPage>([&](Done<ListPage> done) {
    if (!options_.on_answer) return client_.ListObjects(bucket_, request_, std::move(done));
    client_.ListObjects(bucket_, request_,
                        [on_answer = options_.on_answer, done](StatusOr<ListPage> page) {
                          on_answer();
                          done(std::move(page));
                        });
  });
}

StatusOr<bool> ObjectListing::Next(ListPage* page) {
  if (!failed_.ok()) return failed_;
  if (done_) return false;
  for (;;) {
    StatusOr<ListPage> got = Fetch();
    // The bucket's budget once there is more than one page: a listing of
    // one page, or of a gateway that cannot be reached, costs no HEAD.
    if (got.ok() && got->truncated && !options_.budget) check_.AskBudget(client_, bucket_);
    if (!got.ok() && options_.v1_fallback && !request_.v1 && request_.continuation.empty() &&
        (got.status().code() == StatusCode::kUnimplemented ||
         got.status().s3_code() == "InvalidArgument")) {
      request_.v1 = true;  // an old gateway without ListObjectsV2
      continue;
    }
    if (!got.ok()) return failed_ = got.status();
    std::string next = request_.v1 ? got->next_marker : got->next_token;
    if (Status bad = check_.Check(*got, next); !bad.ok()) {
      return failed_ = bad.Annotate("bucket '" + bucket_ + "'");
    }
    if (got->truncated) {
      request_.continuation = std::move(next);
    } else {
      done_ = true;
    }
    *page = std::move(*got);
    return true;
  }
}

VersionListing::VersionListing(const Client& client, std::string bucket, std::string prefix,
                               std::shared_ptr<ListBudget> budget)
    : client_(client),
      bucket_(std::move(bucket)),
      check_(prefix, "",
             budget ? std::move(budget)
                    : std::make_shared<ListBudget>(std::nullopt, client.options().list_limit)) {
  request_.prefix = std::move(prefix);
}

Status VersionListing::Check(const VersionsPage& page) {
  RETURN_IF_ERROR(check_.TakeEntries(page.versions.size()));
  for (const VersionInfo& v : page.versions) {
    if (last_key_ && v.key == *last_key_) continue;  // the same key's next version
    RETURN_IF_ERROR(check_.CheckKey(v.key));
    last_key_ = v.key;
  }
  // The pair of markers is the page's continuation: it must be new.
  return check_.CheckMarker(page.truncated,
                            page.next_key_marker + '\n' + page.next_version_id_marker,
                            page.versions.empty());
}

StatusOr<bool> VersionListing::Next(VersionsPage* page) {
  if (!failed_.ok()) return failed_;
  if (done_) return false;
  const std::string where = "listing the versions of s3://" + bucket_;
  auto got =
      Wait<VersionsPage>([&](auto done) { client_.ListObjectVersions(bucket_, request_, done); });
  if (!got.ok()) return failed_ = got.status().Annotate(where);
  if (Status bad = Check(*got); !bad.ok()) return failed_ = bad.Annotate(where);
  if (got->truncated) {
    request_.key_marker = got->next_key_marker;
    request_.version_id_marker = got->next_version_id_marker;
  } else {
    done_ = true;
  }
  *page = std::move(*got);
  return true;
}

UploadListing::UploadListing(const Client& client, std::string bucket,
                             std::shared_ptr<ListBudget> budget, std::function<void()> on_answer)
    : client_(client),
      bucket_(std::move(bucket)),
      given_budget_(budget != nullptr),
      on_answer_(std::move(on_answer)),
      check_("", "", std::move(budget)) {}

StatusOr<UploadsPage> UploadListing::Fetch() {
  return Wait<UploadsPage>([&](Done<UploadsPage> done) {
    if (!on_answer_) {
      return client_.ListMultipartUploads(bucket_, key_marker_, upload_id_marker_, std::move(done));
    }
    client_.ListMultipartUploads(bucket_, key_marker_, upload_id_marker_,
                                 [on_answer = on_answer_, done](StatusOr<UploadsPage> page) {
                                   on_answer();
                                   done(std::move(page));
                                 });
  });
}

StatusOr<bool> UploadListing::Next(UploadsPage* page) {
  if (!failed_.ok()) return failed_;
  if (done_) return false;
  StatusOr<UploadsPage> got = Fetch();
  if (!got.ok()) return failed_ = got.status();
  if (got->truncated && !given_budget_) check_.AskBudget(client_, bucket_);
  // The pair of markers is the page's continuation: it must be new.
  Status bad =
      check_.CheckMarker(got->truncated, got->next_key_marker + '\n' + got->next_upload_id_marker,
                         got->uploads.empty());
  if (bad.ok()) bad = check_.TakeEntries(got->uploads.size());
  if (!bad.ok()) return failed_ = bad.Annotate("bucket '" + bucket_ + "' unfinished uploads");
  if (got->truncated) {
    key_marker_ = got->next_key_marker;
    upload_id_marker_ = got->next_upload_id_marker;
  } else {
    done_ = true;
  }
  *page = std::move(*got);
  return true;
}

}  // namespace gwsync::s3
