// RestoreVersions (session/versions.h): the bucket made ready (created, empty,
// versioned), then the manifest read one key at a time and each key's
// history replayed by one of a few threads, oldest version first.
#include <sys/stat.h>

#include <mutex>
#include <thread>

#include "session/bucket_settings.h"
#include "session/versions.h"
#include "sides/stream.h"
#include "sync/metadata.h"
#include "util/workers.h"

namespace gwsync::session {
namespace {

constexpr char kEnableVersioning[] =
    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Status>Enabled</Status></VersioningConfiguration>";

std::string Where(const Location& dst) { return "s3://" + dst.bucket + "/" + dst.prefix; }

// Created when missing (with object lock when the backup's bucket had it),
// refused when it holds any version under the prefix (the history would
// be mixed with another), made versioned. `created` says whether it was made.
Status PrepareBucket(const Location& dst, const SavedSettings& saved, bool* created) {
  const s3::Client& c = *dst.client;
  Status exists = s3::WaitStatus([&](auto done) { c.HeadBucket(dst.bucket, done); });
  *created = false;
  if (exists.code() == StatusCode::kNotFound) {
    RETURN_IF_ERROR(s3::WaitStatus([&](auto done) {
      if (saved.object_lock()) return c.CreateBucketWithObjectLock(dst.bucket, done);
      c.CreateBucket(dst.bucket, done);
    }));
    *created = true;
  } else if (!exists.ok()) {
    return exists;
  } else {
    s3::VersionListOptions o;
    o.prefix = dst.prefix;
    o.max_keys = 1;
    ASSIGN_OR_RETURN(auto page, s3::Wait<s3::VersionsPage>(
                                    [&](auto done) { c.ListObjectVersions(dst.bucket, o, done); }));
    if (!page.versions.empty()) {
      return Status(StatusCode::kFailedPrecondition,
                    Where(dst) +
                        " already holds objects or versions: an --all-versions restore replays "
                        "a history into an empty bucket (or prefix), not beside another one");
    }
  }
  auto refused = [&](const std::string& why) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot make s3://" + dst.bucket + " versioned (" + why +
                      "): without versioning the history cannot be replayed");
  };
  Status put = s3::WaitStatus([&](auto done) {
    c.PutBucketSubresource(dst.bucket, "versioning", kEnableVersioning, done);
  });
  if (!put.ok()) return refused(put.message());
  auto got = s3::Wait<std::string>(
      [&](auto done) { c.GetBucketSubresource(dst.bucket, "versioning", done); });
  if (!got.ok()) return refused(got.status().message());
  if (got->find("<Status>Enabled</Status>") == std::string::npos) {
    return refused("the gateway does not say it is enabled");
  }
  return Status::Ok();
}

class Replay {
 public:
  Replay(const Location& src, const Location& dst, const SyncOptions& options)
      : src_(src), dst_(dst) {
    transfer_ = options.transfer;
    transfer_.workers = &workers_;
  }

  // One key's history, oldest first (CheckReplayOrder has passed).
  void Key(const std::vector<manifest::Record>& history) {
    for (const manifest::Record& r : history) {
      Status s = r.delete_marker ? Marker(r) : Upload(r);
      std::lock_guard lock(mu_);
      if (!s.ok()) {
        report_.AddError(dst_.Name(r.key) + " (version " + std::to_string(r.version) + ")",
                         "not restored: " + s.message());
      } else if (r.delete_marker) {
        report_.actions["version: delete marker"].objects++;
      } else {
        report_.actions["version: upload"].objects++;
        report_.actions["version: upload"].bytes += r.size;
      }
    }
  }

  void Error(const std::string& key, const std::string& message) {
    std::lock_guard lock(mu_);
    report_.AddError(dst_.Name(key), message);
  }

  SyncReport Take() { return std::move(report_); }

 private:
  Status Marker(const manifest::Record& r) const {
    // On a versioned bucket, a DELETE without a version ID makes a marker.
    return s3::WaitStatus(
        [&](auto done) { dst_.client->DeleteObject(dst_.bucket, dst_.prefix + r.key, done); });
  }

  Status Upload(const manifest::Record& r) const {
    if (r.path.empty() && !plan::IsSafeRelativeKey(r.key)) {
      return InvalidArgument("the manifest names no file for it");
    }
    const std::string file = src_.path + "/" + (r.path.empty() ? r.key : r.path);
    struct stat st {};
    if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return NotFound("'" + file + "' is missing from the backup");
    }
    if (static_cast<uint64_t>(st.st_size) != r.size) {
      return DataLoss("'" + file + "' has " + std::to_string(st.st_size) +
                      " bytes, the manifest says " + std::to_string(r.size));
    }
    transfer::TransferOptions t = transfer_;
    if (auto kept = sync::DecodeKept(r.headers)) {
      sync::ApplyKept(*kept, &t.content_type, &t.content, &t.metadata, &t.tagging);
    }
    return transfer::UploadFile(*dst_.client, file, dst_.bucket, dst_.prefix + r.key, t).status();
  }

  const Location& src_;
  const Location& dst_;
  util::Workers workers_;
  transfer::TransferOptions transfer_;
  std::mutex mu_;
  SyncReport report_;
};

}  // namespace

Status CheckReplayOrder(const std::vector<manifest::Record>& history) {
  for (size_t i = 0; i < history.size(); ++i) {
    const manifest::Record& r = history[i];
    if (r.version == 0) return InvalidArgument("'" + r.key + "' has a record that is no version");
    if (r.key != history[0].key) return InvalidArgument("two keys in one history");
    if (i > 0 && r.version <= history[i - 1].version) {
      return InvalidArgument("the versions of '" + r.key + "' are not oldest first");
    }
    if (r.latest && i + 1 != history.size()) {
      return InvalidArgument("'" + r.key + "' has a latest version that is not its newest");
    }
  }
  return Status::Ok();
}

StatusOr<SyncReport> RestoreVersions(const Location& src, const Location& dst,
                                     const SyncOptions& options) {
  ASSIGN_OR_RETURN(std::string path, manifest::ResolveManifestPath(src.path));
  ASSIGN_OR_RETURN(auto reader, manifest::Reader::Open(path));
  if (!reader->header().all_versions) {
    return InvalidArgument("'" + src.path +
                           "' is not an --all-versions backup (its manifest holds the current "
                           "versions only): restore it without --all-versions");
  }
  SavedSettings saved;
  if (options.bucket_settings) {
    ASSIGN_OR_RETURN(saved, LoadBucketSettings(src.path));
  }
  bool created = false;
  RETURN_IF_ERROR(PrepareBucket(dst, saved, &created));

  // Keys go to a few threads through a short queue: one key's history each.
  Replay replay(src, dst, options);
  sides::BoundedQueue<std::vector<manifest::Record>> queue(4);
  const int threads = std::max(1, std::min(options.concurrency, 8));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<manifest::Record> history;
      while (queue.Pop(&history)) replay.Key(history);
    });
  }
  uint64_t records = 0;
  Status read;
  std::vector<manifest::Record> history;
  auto hand_over = [&] {
    if (history.empty()) return;
    if (Status s = CheckReplayOrder(history); !s.ok()) {
      replay.Error(history[0].key, "not restored: " + s.message());
    } else {
      queue.Push(std::move(history));
    }
    history.clear();
  };
  for (;;) {
    manifest::Record r;
    auto more = reader->Next(&r);
    if (!more.ok()) {
      read = more.status();
      break;
    }
    if (!*more) break;
    records++;
    if (!options.filter.Allows(r.key)) continue;
    if (!history.empty() && history[0].key != r.key) hand_over();
    history.push_back(std::move(r));
  }
  hand_over();
  queue.Close();
  for (auto& t : pool) t.join();
  SyncReport report = replay.Take();
  report.source_objects = records;
  if (!read.ok()) report.AddError(path, "manifest cut short: " + read.message());

  const std::string where = dst.Name();
  if (created || options.apply_settings_to_existing) {
    for (const auto& p : ApplyBucketSettings(*dst.client, dst.bucket, saved)) {
      report.AddError(where, "bucket setting '" + p.name + "' not restored: " + p.message);
    }
  } else if (!saved.settings.empty()) {
    report.AddNotice(where,
                     "the bucket exists: its saved settings were not applied "
                     "(--apply-bucket-settings applies them)");
  }
  return report;
}

}  // namespace gwsync::session
