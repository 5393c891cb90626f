#include "session/run_manifest.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "fileio/state_dir.h"
#include "http/bodies.h"
#include "manifest/digest.h"
#include "manifest/manifest.h"
#include "sides/bucket_side.h"
#include "sides/local_side.h"
#include "sync/metadata.h"

namespace gwsync::session {
namespace {

std::string ManifestName(const manifest::Header& h, const std::string& share = "") {
  return "manifest-" + h.run + (share.empty() ? "" : "-" + share) + ".jsonl.zst";
}

// Streams `stream`'s entries in `range` into `writer`, each joined by
// `fill`.
Status WriteEntries(sides::EntryStream* stream, const sides::KeyRange& range,
                    manifest::Writer* writer,
                    const std::function<Status(const plan::Entry&, manifest::Record*)>& fill) {
  sides::ListBatch batch;
  while (stream->Next(&batch)) {
    for (const sides::Problem& p : batch.problems) {
      if (p.read_error) return p.status.Annotate("listing the destination for its manifest");
    }
    for (const plan::Entry& e : batch.entries) {
      if (!range.Contains(e.key)) continue;
      manifest::Record r;
      r.key = e.key;
      r.size = e.size;
      r.mtime_ns = e.mtime_ns;
      r.mode = e.mode;
      r.etag = e.etag;
      r.path = e.path;
      if (transfer::EtagIsMd5(e.etag)) r.md5 = e.etag;
      RETURN_IF_ERROR(fill(e, &r));
      RETURN_IF_ERROR(writer->Add(r));
    }
  }
  return Status::Ok();
}

StatusOr<std::string> FolderManifest(const Location& dst, const SyncOptions& options,
                                     const manifest::Header& header) {
  std::string path = options.manifest.path;
  std::optional<fileio::StateDir> state;
  std::unique_ptr<manifest::Writer> writer;
  if (path.empty()) {  // in the state folder, through its handle
    ASSIGN_OR_RETURN(state, fileio::StateDir::Open(dst.path, plan::kReservedDir, true));
    ASSIGN_OR_RETURN(auto file, state->NewFile(ManifestName(header, options.manifest.share)));
    path = file->path();
    ASSIGN_OR_RETURN(writer, manifest::Writer::Create(std::move(file), header));
  } else {
    ASSIGN_OR_RETURN(writer, manifest::Writer::Create(path, header));
  }
  sides::LocalListOptions lo;
  lo.missing_ok = true;
  ASSIGN_OR_RETURN(auto stream, sides::OpenLocalStream(dst.path, lo));
  RETURN_IF_ERROR(WriteEntries(
      stream.get(), options.range, writer.get(),
      [&](const plan::Entry& e, manifest::Record* r) -> Status {
        // The ETag the file was synced with, if it is still that file.
        std::string indexed_headers;
        bool indexed = false;  // the index's record is of this very file
        if (options.index) {
          auto rec = options.index->GetLocal(dst.path, e.key);
          if (rec.ok() && rec->has_value()) {
            const index::LocalRecord& l = **rec;
            if (l.size == e.size && l.mtime_ns == e.mtime_ns && l.inode == e.inode) {
              r->etag = l.etag;
              r->md5 = !l.md5.empty() ? l.md5 : transfer::EtagIsMd5(l.etag) ? l.etag : "";
              r->xxh3 = l.xxh3;
              r->part_size = l.part_size;
              r->part_doubling = l.part_doubling;
              r->unverified = l.unverified;
              indexed_headers = l.headers;
              indexed = true;
            }
          }
        }
        // What the object keeps besides its bytes: the index's record of
        // this very file has it as the download wrote it into the file's
        // attribute (the same encoding), which spares reading and decoding
        // the attribute of every file; else the attribute, where the file
        // still holds it as it was written.
        static const std::string kNothingKept = sync::EncodeKept({});
        const std::string file = dst.path + "/" + (e.path.empty() ? e.key : e.path);
        char attr[65536];
        ssize_t n = 0;
        if (indexed && !indexed_headers.empty()) {
          if (indexed_headers != kNothingKept) r->headers = indexed_headers;
        } else if ((n = lgetxattr(file.c_str(), sync::kHeadersXattr, attr, sizeof attr)) > 0) {
          auto kept = sync::DecodeKeptAttr(std::string_view(attr, static_cast<size_t>(n)), e.size,
                                           e.mtime_ns);
          if (kept && !kept->empty()) r->headers = sync::EncodeKept(*kept);
          if (r->etag.empty()) {  // no index: the digests the download wrote beside the headers
            sync::KeptDigests digests = sync::KeptAttrDigests(
                std::string_view(attr, static_cast<size_t>(n)), e.size, e.mtime_ns);
            r->etag = std::move(digests.etag);
            r->xxh3 = std::move(digests.xxh3);
            if (transfer::EtagIsMd5(r->etag)) r->md5 = r->etag;
          }
        } else if (auto kept = sync::DecodeKept(indexed_headers); kept && !kept->empty()) {
          // No attribute (a file system without them): the index's record
          // of the same file has them.
          r->headers = indexed_headers;
        }
        if (options.manifest.sha256) {
          ASSIGN_OR_RETURN(
              manifest::FileDigests d,
              manifest::DigestFile(dst.path + "/" + (e.path.empty() ? e.key : e.path), 0, true));
          r->sha256 = d.sha256;
          r->md5 = d.md5;
          r->xxh3 = d.xxh3;
        }
        return Status::Ok();
      }));
  RETURN_IF_ERROR(writer->Finish().status());
  if (state && options.manifest.share.empty()) {
    RETURN_IF_ERROR(
        state->WriteFile(std::string(manifest::kLatestName), ManifestName(header) + "\n"));
  }
  return path;
}

StatusOr<std::string> BucketManifest(const Location& dst, const SyncOptions& options,
                                     const manifest::Header& header) {
  std::string path = options.manifest.path;
  std::string temp;
  if (path.empty()) {  // written locally first, then uploaded
    std::error_code ec;
    std::string name =
        (std::filesystem::temp_directory_path(ec) / "gwsync-manifest-XXXXXX").string();
    int fd = mkstemp(name.data());
    if (fd < 0) return Internal(std::string("cannot create a temporary file: ") + strerror(errno));
    close(fd);
    temp = path = name;
  }
  sides::BucketListOptions bo;
  bo.missing_ok = true;
  bo.range = options.range;
  const std::string name = ManifestName(header, options.manifest.share);
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(auto stream, sides::OpenBucketStream(*dst.client, dst.bucket, dst.prefix, bo));
    ASSIGN_OR_RETURN(auto writer, manifest::Writer::Create(path, header));
    RETURN_IF_ERROR(
        WriteEntries(stream.get(), options.range, writer.get(),
                     [](const plan::Entry&, manifest::Record*) { return Status::Ok(); }));
    RETURN_IF_ERROR(writer->Finish().status());
    if (temp.empty()) return Status::Ok();
    std::string base = dst.prefix + std::string(plan::kReservedDir) + "/";
    ASSIGN_OR_RETURN(
        transfer::UploadResult up,
        transfer::UploadFile(*dst.client, temp, dst.bucket, base + name, options.transfer));
    (void)up;
    if (!options.manifest.share.empty()) return Status::Ok();
    auto body = std::make_shared<http::StringSource>(name + "\n");
    std::string latest = base + std::string(manifest::kLatestName);
    return s3::Wait<std::string>([&](auto done) {
             dst.client->PutObject(dst.bucket, latest, body, s3::PutOptions(), done);
           })
        .status();
  }();
  if (!temp.empty()) unlink(temp.c_str());
  RETURN_IF_ERROR(s);
  if (!temp.empty()) {
    return "s3://" + dst.bucket + "/" + dst.prefix + std::string(plan::kReservedDir) + "/" + name;
  }
  return path;
}

}  // namespace

StatusOr<std::string> JoinShareManifests(const std::vector<std::string>& paths) {
  if (paths.empty()) return InvalidArgument("no manifests to join");
  // Two passes, one manifest open at a time: the headers, then the records
  // (a reader holds a zstd window; N of them at once would not be flat).
  manifest::Header header;
  for (size_t i = 0; i < paths.size(); ++i) {
    ASSIGN_OR_RETURN(auto reader, manifest::Reader::Open(paths[i]));
    const manifest::Header& h = reader->header();
    if (i == 0) {
      header = h;
    } else if (h.source != header.source || h.destination != header.destination) {
      return InvalidArgument("manifest '" + paths[i] + "' is of another sync (" + h.source +
                             " -> " + h.destination + ")");
    } else {
      header.sync_errors += h.sync_errors;
      header.sha256 = header.sha256 && h.sha256;
    }
  }
  manifest::StampNow(&header);
  size_t slash = paths[0].rfind('/');
  std::string dir = slash == std::string::npos ? "." : paths[0].substr(0, slash);
  std::string name = ManifestName(header);
  std::string path = dir + "/" + name;
  ASSIGN_OR_RETURN(auto writer, manifest::Writer::Create(path, header));
  for (const auto& share : paths) {
    ASSIGN_OR_RETURN(auto reader, manifest::Reader::Open(share));
    manifest::Record r;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, reader->Next(&r));
      if (!more) break;
      if (!header.sha256) r.sha256.clear();
      Status added = writer->Add(r);
      if (!added.ok()) return added.Annotate("joining '" + share + "'");
    }
  }
  RETURN_IF_ERROR(writer->Finish().status());
  RETURN_IF_ERROR(manifest::WriteLatest(dir, name));
  return path;
}

std::string ManifestFileName(const manifest::Header& header) { return ManifestName(header); }

std::string SideName(const Location& loc, std::string* endpoint) {
  if (loc.kind == Location::Kind::kLocal) return loc.path;
  if (endpoint) *endpoint = loc.remote_id.substr(0, loc.remote_id.find(' '));
  std::string prefix = loc.prefix;
  if (!prefix.empty()) prefix.pop_back();
  return "s3://" + loc.bucket + (prefix.empty() ? "" : "/" + prefix);
}

StatusOr<std::string> WriteRunManifest(const Location& src, const Location& dst,
                                       const SyncOptions& options, uint64_t sync_errors) {
  bool local = dst.kind == Location::Kind::kLocal;
  if (options.dry_run || !(local ? options.manifest.folder : options.manifest.bucket))
    return std::string();
  manifest::Header header;
  header.source = SideName(src, &header.source_endpoint);
  header.destination = SideName(dst, &header.destination_endpoint);
  header.sha256 = options.manifest.sha256 && local;
  header.sync_errors = sync_errors;
  manifest::StampNow(&header);
  return local ? FolderManifest(dst, options, header) : BucketManifest(dst, options, header);
}

}  // namespace gwsync::session
