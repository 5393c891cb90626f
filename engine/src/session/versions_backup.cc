// BackupVersions (session/versions.h): the version listing walked one key at a
// time, in batches of about a thousand versions fetched in parallel, each
// batch's records written to the manifest in order before the next.
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>

#include "fileio/state_dir.h"
#include "session/run_manifest.h"
#include "session/version_listing.h"
#include "session/versions.h"
#include "sync/metadata.h"
#include "util/caller_loop.h"
#include "util/workers.h"

namespace gwsync::session {
namespace {

constexpr size_t kBatchVersions = 1000;

using fileio::MtimeNs;

// What the file at `file` keeps of its object's headers, if it is still the
// file they were written with.
std::string KeptOf(const std::string& file, const struct stat& st) {
  char attr[65536];
  ssize_t n = lgetxattr(file.c_str(), sync::kHeadersXattr, attr, sizeof attr);
  if (n <= 0) return "";
  auto kept = sync::DecodeKeptAttr(std::string_view(attr, static_cast<size_t>(n)),
                                   static_cast<uint64_t>(st.st_size), MtimeNs(st));
  return kept && !kept->empty() ? sync::EncodeKept(*kept) : "";
}

// One version as the manifest records it, and whether it must be fetched.
struct Item {
  manifest::Record record;
  bool fetch = false;
  Status error;
};

class Backup {
 public:
  Backup(const Location& src, const Location& dst, const SyncOptions& options)
      : src_(src), dst_(dst), options_(options) {
    transfer_ = options.transfer;
    transfer_.workers = &workers_;
  }

  // The records of one key, oldest first; what the tree holds is taken
  // from it, the rest marked to fetch.
  void Plan(const KeyVersions& k, std::vector<Item>* items) {
    const size_t n = k.versions.size();
    for (size_t i = n; i-- > 0;) {
      const s3::VersionInfo& v = k.versions[i];
      Item item;
      manifest::Record& r = item.record;
      r.key = k.key;
      r.version = static_cast<uint32_t>(n - i);
      r.version_id = v.version_id;
      r.latest = v.is_latest;
      r.delete_marker = v.delete_marker;
      r.last_modified = v.last_modified;
      if (!v.delete_marker) {
        r.size = v.size;
        r.etag = v.etag;
        if (!(v.is_latest && FromTree(&r))) item.fetch = !FromStore(&r);
      }
      items->push_back(std::move(item));
    }
  }

  // Fetches what is marked, from this thread, `parallel` at a time: each
  // fetch's completions come back to it through the loop (util/caller_loop.h),
  // so no file work is done on the event loop's thread.
  void Fetch(std::vector<Item>* items) {
    size_t next = 0;
    auto start = [&](const std::shared_ptr<util::CallerLoop>& loop, util::Finished finished) {
      while (next < items->size() && !(*items)[next].fetch) next++;
      if (next == items->size()) return false;
      Item* item = &(*items)[next++];
      Download(item, loop, [item, finished](Status s) {
        item->error = std::move(s);
        finished();
      });
      return true;
    };
    util::RunBounded(std::max(1, std::min(options_.concurrency, 8)), start);
  }

 private:
  // The current version is the tree's file (or the key store's) when the
  // index says that file was synced from an object with this ETag.
  bool FromTree(manifest::Record* r) {
    if (!options_.index) return false;
    auto rec = options_.index->GetLocal(dst_.path, r->key);
    if (!rec.ok() || !rec->has_value() || (*rec)->etag != r->etag) return false;
    const index::LocalRecord& l = **rec;
    for (const std::string& rel : {r->key, plan::KeyStorePath(r->key)}) {
      if (rel == r->key && plan::NeedsKeyStore(rel, options_.store_links)) continue;
      const std::string file = dst_.path + "/" + rel;
      struct stat st {};
      if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (static_cast<uint64_t>(st.st_size) != l.size || MtimeNs(st) != l.mtime_ns ||
          st.st_ino != l.inode || l.size != r->size) {
        continue;
      }
      r->path = rel == r->key ? "" : rel;
      r->mtime_ns = MtimeNs(st);
      r->mode = st.st_mode & 07777;
      r->md5 = !l.md5.empty() ? l.md5 : transfer::EtagIsMd5(l.etag) ? l.etag : "";
      r->xxh3 = l.xxh3;
      r->part_size = l.part_size;
      r->part_doubling = l.part_doubling;
      r->unverified = l.unverified;
      r->headers = KeptOf(file, st);
      return true;
    }
    return false;
  }

  // A version fetched by an earlier run: a version's bytes never change, so
  // a complete file of its name (with its headers attribute) is it.
  bool FromStore(manifest::Record* r) {
    const std::string rel = plan::VersionStorePath(r->key, r->version_id);
    const std::string file = dst_.path + "/" + rel;
    struct stat st {};
    if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<uint64_t>(st.st_size) != r->size) {
      return false;
    }
    char probe[1];
    if (lgetxattr(file.c_str(), sync::kHeadersXattr, probe, 0) < 0) return false;
    Fill(rel, file, st, r);
    return true;
  }

  void Fill(const std::string& rel, const std::string& file, const struct stat& st,
            manifest::Record* r) {
    r->path = rel;
    r->mtime_ns = MtimeNs(st);
    r->mode = st.st_mode & 07777;
    if (transfer::EtagIsMd5(r->etag)) r->md5 = r->etag;
    r->headers = KeptOf(file, st);
    char attr[65536];  // the xxh3 its download kept, of bytes proven the version's
    ssize_t n = lgetxattr(file.c_str(), sync::kHeadersXattr, attr, sizeof attr);
    if (n > 0) {
      sync::KeptDigests d = sync::KeptAttrDigests(std::string_view(attr, static_cast<size_t>(n)),
                                                  static_cast<uint64_t>(st.st_size), MtimeNs(st));
      if (d.etag == r->etag) r->xxh3 = std::move(d.xxh3);
    }
  }

  // A version's download, its tags and headers attribute. Each step after
  // the first runs from a closure posted to `loop`, `end` from the last.
  void Download(Item* item, const std::shared_ptr<util::CallerLoop>& loop,
                std::function<void(Status)> end) {
    manifest::Record* r = &item->record;
    const std::string rel = plan::VersionStorePath(r->key, r->version_id);
    const std::string file = dst_.path + "/" + rel;
    auto fail = [&](Status s) { loop->Post([end, s] { end(s); }); };
    // Its folders made 0700 in the state folder, a link on the way refused.
    if (Status s = fileio::StateDir::Open(dst_.path, rel.substr(0, rel.rfind('/')), true).status();
        !s.ok()) {
      return fail(s);
    }
    auto tmp = fileio::TempFile::Create(file);
    if (!tmp.ok()) return fail(tmp.status());
    std::shared_ptr<fileio::TempFile> temp = std::move(*tmp);
    transfer::StartDownload(
        *src_.client, src_.bucket, src_.prefix + r->key, temp, Options(*r),
        [this, item, loop, end, temp](StatusOr<transfer::DownloadResult> got) mutable {
          // The temporary file goes with it to the caller's thread: removing it is file work.
          loop->Post(
              [this, item, loop, end, temp = std::move(temp), got = std::move(got)]() mutable {
                const manifest::Record& r = item->record;
                Downloaded(item, loop, end,
                           transfer::FinishDownload(std::move(got), std::move(temp), src_.bucket,
                                                    src_.prefix + r.key, Options(r)));
              });
        });
  }

  transfer::TransferOptions Options(const manifest::Record& r) const {
    transfer::TransferOptions t = transfer_;
    t.version_id = r.version_id;
    t.expected_etag = r.etag;
    t.expected_size = r.size;
    t.before_commit = [](int fd, const s3::ObjectHead& head) {
      if (auto when = sync::ParseHttpDate(head.last_modified)) {
        struct timespec times[2];
        times[0].tv_sec = times[1].tv_sec = *when / 1000000000;
        times[0].tv_nsec = times[1].tv_nsec = *when % 1000000000;
        (void)futimens(fd, times);
      }
    };
    return t;
  }

  using Tags = std::vector<std::pair<std::string, std::string>>;

  // The file is in place: its tags asked when it has any, then kept.
  void Downloaded(Item* item, const std::shared_ptr<util::CallerLoop>& loop,
                  const std::function<void(Status)>& end, StatusOr<transfer::DownloadResult> got) {
    if (!got.ok()) return end(got.status());
    if (got->head.tag_count == 0) return end(Keep(&item->record, *got, {}));
    const manifest::Record& r = item->record;
    src_.client->GetObjectTagging(
        src_.bucket, src_.prefix + r.key,
        [this, item, loop, end, got = std::move(*got)](StatusOr<Tags> tags) mutable {
          loop->Post([this, item, end, got = std::move(got), tags = std::move(tags)]() mutable {
            end(tags.ok() ? Keep(&item->record, got, std::move(*tags)) : tags.status());
          });
        },
        r.version_id);
  }

  // The object's headers and tags kept in the file's attribute, and the
  // file recorded.
  Status Keep(manifest::Record* r, const transfer::DownloadResult& got, Tags tags) {
    const std::string rel = plan::VersionStorePath(r->key, r->version_id);
    const std::string file = dst_.path + "/" + rel;
    struct stat st {};
    if (lstat(file.c_str(), &st) != 0) return fileio::ErrnoStatus("'" + file + "'", errno);
    const bool proven = got.verdict == transfer::Verdict::kVerified;
    const std::string attr =
        sync::EncodeKeptAttr(sync::KeepFrom(got.head, std::move(tags)), got.size, MtimeNs(st),
                             proven ? got.etag : "", proven ? got.xxh3 : "");
    if (lsetxattr(file.c_str(), sync::kHeadersXattr, attr.data(), attr.size(), 0) != 0) {
      return fileio::ErrnoStatus("cannot keep the headers of '" + file + "'", errno);
    }
    Fill(rel, file, st, r);
    r->unverified = got.verdict != transfer::Verdict::kVerified;
    return Status::Ok();
  }

  const Location& src_;
  const Location& dst_;
  const SyncOptions& options_;
  util::Workers workers_;
  transfer::TransferOptions transfer_;
};

}  // namespace

StatusOr<std::string> BackupVersions(const Location& src, const Location& dst,
                                     const SyncOptions& options, SyncReport* report) {
  manifest::Header header;
  header.source = SideName(src, &header.source_endpoint);
  header.destination = SideName(dst, &header.destination_endpoint);
  header.sync_errors = report->error_count;
  header.all_versions = true;
  manifest::StampNow(&header);
  // In the state folder, through its own handle (fileio/state_dir.h).
  ASSIGN_OR_RETURN(auto state, fileio::StateDir::Open(dst.path, plan::kReservedDir, true));
  ASSIGN_OR_RETURN(auto file, state.NewFile(ManifestFileName(header)));
  const std::string path = file->path();
  ASSIGN_OR_RETURN(auto writer, manifest::Writer::Create(std::move(file), header));

  Backup backup(src, dst, options);
  VersionLister lister(*src.client, src.bucket, src.prefix);
  std::vector<Item> items;
  uint64_t fetched = 0, fetched_bytes = 0, versions = 0, markers = 0;
  auto flush = [&]() -> Status {
    backup.Fetch(&items);
    for (Item& item : items) {
      const manifest::Record& r = item.record;
      if (!item.error.ok()) {
        report->AddError(src.Name(r.key) + " (version " + r.version_id + ")",
                         "version not backed up: " + item.error.message());
        continue;
      }
      if (item.fetch) {
        fetched++;
        fetched_bytes += r.size;
      }
      (r.delete_marker ? markers : versions)++;
      RETURN_IF_ERROR(writer->Add(r));
    }
    items.clear();
    return Status::Ok();
  };
  KeyVersions k;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, lister.Next(&k));
    if (!more) break;
    if (!options.filter.Allows(k.key)) continue;
    backup.Plan(k, &items);
    if (items.size() >= kBatchVersions) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  RETURN_IF_ERROR(writer->Finish().status());
  RETURN_IF_ERROR(
      state.WriteFile(std::string(manifest::kLatestName), ManifestFileName(header) + "\n"));
  report->actions["version: download"].objects += fetched;
  report->actions["version: download"].bytes += fetched_bytes;
  report->actions["version: kept"].objects += versions - fetched;
  report->actions["version: delete marker"].objects += markers;
  return path;
}

}  // namespace gwsync::session
