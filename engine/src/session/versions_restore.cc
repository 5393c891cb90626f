// RestoreVersions (session/versions.h): the bucket made ready (created, empty,
// versioned), then the manifest read one key at a time and each key's
// history replayed oldest version first, a few keys at a time, all from the
// caller's thread.
#include <sys/stat.h>

#include <memory>
#include <optional>
#include <vector>

#include "session/bucket_settings.h"
#include "session/versions.h"
#include "sync/metadata.h"
#include "util/caller_loop.h"
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

// The manifest's records one key's history at a time (they come grouped by
// key, oldest first), read only as each is asked for.
class Histories {
 public:
  Histories(manifest::Reader* reader, const plan::Filter& filter)
      : reader_(reader), filter_(filter) {}

  // The next key's history of the records the filter allows; false at the
  // end, or where the manifest could not be read further (read()).
  bool Next(std::vector<manifest::Record>* history) {
    history->clear();
    if (ahead_) history->push_back(std::move(*ahead_));
    ahead_.reset();
    while (!end_) {
      manifest::Record r;
      auto more = reader_->Next(&r);
      if (!more.ok()) read_ = more.status();
      if (!more.ok() || !*more) {
        end_ = true;
        break;
      }
      records_++;
      if (!filter_.Allows(r.key)) continue;
      if (!history->empty() && (*history)[0].key != r.key) {
        ahead_ = std::move(r);  // the first of the next key's
        return true;
      }
      history->push_back(std::move(r));
    }
    return !history->empty();
  }

  uint64_t records() const { return records_; }
  const Status& read() const { return read_; }

 private:
  manifest::Reader* reader_;
  const plan::Filter& filter_;
  std::optional<manifest::Record> ahead_;
  bool end_ = false;
  uint64_t records_ = 0;
  Status read_;
};

// Replays key histories from the caller's thread: each version is started
// once the one before it is done (whether it went or not), and the
// completions only post back to that thread, which does the file work
// (util/caller_loop.h). The caller's thread only.
class Replay {
 public:
  Replay(const Location& src, const Location& dst, const SyncOptions& options)
      : src_(src), dst_(dst) {
    transfer_ = options.transfer;
    transfer_.workers = &workers_;
  }

  // One key's history, oldest first (CheckReplayOrder has passed);
  // `finished` once its last version is done.
  void Key(std::vector<manifest::Record> history, const std::shared_ptr<util::CallerLoop>& loop,
           util::Finished finished) {
    auto key = std::make_shared<KeyState>();
    key->history = std::move(history);
    key->finished = std::move(finished);
    Next(key, loop);
  }

  void Error(const std::string& key, const std::string& message) {
    report_.AddError(dst_.Name(key), message);
  }

  SyncReport Take() { return std::move(report_); }

 private:
  struct KeyState {
    std::vector<manifest::Record> history;
    size_t next = 0;  // the version in flight, or the next to start
    // The file of the version in flight, held (as UploadFile's caller holds
    // it) until its completion has run here, so that closing it is not left
    // to the transfer's copy on the event loop's thread.
    std::shared_ptr<fileio::Fd> file;
    util::Finished finished;
  };

  void Next(const std::shared_ptr<KeyState>& key, const std::shared_ptr<util::CallerLoop>& loop) {
    if (key->next == key->history.size()) return key->finished();
    const manifest::Record& r = key->history[key->next];
    auto done = [this, key, loop](Status s) {
      loop->Post([this, key, loop, s = std::move(s)] {
        key->file.reset();
        Count(key->history[key->next++], s);
        Next(key, loop);
      });
    };
    if (r.delete_marker) return Marker(r, done);
    Upload(r, &key->file, done);
  }

  void Count(const manifest::Record& r, const Status& s) {
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

  void Marker(const manifest::Record& r, const s3::DoneStatus& done) const {
    // On a versioned bucket, a DELETE without a version ID makes a marker.
    dst_.client->DeleteObject(dst_.bucket, dst_.prefix + r.key, done);
  }

  // `done` runs once, on any thread; here too when the file is refused.
  // `hold`: the file opened, kept open until `done` has run.
  void Upload(const manifest::Record& r, std::shared_ptr<fileio::Fd>* hold,
              const s3::DoneStatus& done) const {
    if (r.path.empty() && !plan::IsSafeRelativeKey(r.key)) {
      return done(InvalidArgument("the manifest names no file for it"));
    }
    const std::string file = src_.path + "/" + (r.path.empty() ? r.key : r.path);
    struct stat st {};
    if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return done(NotFound("'" + file + "' is missing from the backup"));
    }
    if (static_cast<uint64_t>(st.st_size) != r.size) {
      return done(DataLoss("'" + file + "' has " + std::to_string(st.st_size) +
                           " bytes, the manifest says " + std::to_string(r.size)));
    }
    auto opened = transfer::OpenToUpload(file);
    if (!opened.ok()) return done(opened.status());
    // Made a file of another kind since the lstat above.
    if (!opened->regular) return done(NotFound("'" + file + "' is missing from the backup"));
    transfer::TransferOptions t = transfer_;
    if (auto kept = sync::DecodeKept(r.headers)) {
      sync::ApplyKept(*kept, &t.content_type, &t.content, &t.metadata, &t.tagging);
    }
    *hold = opened->file.fd;
    transfer::StartUploadFile(*dst_.client, std::move(opened->file), dst_.bucket,
                              dst_.prefix + r.key, t,
                              [done](StatusOr<transfer::UploadResult> got) { done(got.status()); });
  }

  const Location& src_;
  const Location& dst_;
  util::Workers workers_;
  transfer::TransferOptions transfer_;
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

  // Keys replayed from this thread, a few at a time: the next key's history
  // is read only once there is room for it.
  Replay replay(src, dst, options);
  Histories histories(reader.get(), options.filter);
  auto start = [&](const std::shared_ptr<util::CallerLoop>& loop, util::Finished finished) {
    std::vector<manifest::Record> history;
    while (histories.Next(&history)) {
      if (Status s = CheckReplayOrder(history); !s.ok()) {
        replay.Error(history[0].key, "not restored: " + s.message());
        continue;
      }
      replay.Key(std::move(history), loop, std::move(finished));
      return true;
    }
    return false;
  };
  util::RunBounded(std::max(1, std::min(options.concurrency, 8)), start);
  SyncReport report = replay.Take();
  report.source_objects = histories.records();
  if (!histories.read().ok()) {
    report.AddError(path, "manifest cut short: " + histories.read().message());
  }

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
