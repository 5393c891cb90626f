// A run manifest: what a sync's destination holds after the run, one JSON
// object per line, compressed with zstd (`zstdcat FILE | jq`). The first
// line is a header (format, version, source, destination, run time), then
// one record per key in ascending S3 key byte order, then a trailer with the
// totals, so a reader can tell a complete manifest from a cut-short one.
// The format is described in docs/reference/manifest.md.
//
// Writer and Reader stream: memory does not grow with the number of keys.
// Each is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync::fileio {
class TempFile;
}

namespace gwsync::manifest {

inline constexpr std::string_view kFormat = "gwsync-manifest";
inline constexpr int kVersion = 1;
// Manifests live in the reserved folder plan::kReservedDir at the root of a
// destination, which syncs skip both ways.
// The file in kReservedDir naming the newest manifest.
inline constexpr std::string_view kLatestName = "manifest-latest";

struct Header {
  std::string source;                // as the user named it: s3://bucket, a folder
  std::string destination;           // likewise
  std::string source_endpoint;       // the gateway of an s3:// source
  std::string destination_endpoint;  // and of an s3:// destination
  std::string run;                   // the run's id: its UTC time, "20261128T100000.123Z"
  std::string time;                  // ISO 8601 UTC, "2026-11-28T10:00:00.123Z"
  bool sha256 = false;               // records carry "sha256"
  uint64_t sync_errors = 0;          // errors the sync had: the destination may lack keys
  // An --all-versions backup: records carry `version` and a key may have
  // several, oldest first.
  bool all_versions = false;
};

// One key. Empty strings and zeros are unknown (and not written).
struct Record {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // local files
  uint32_t mode = 0;     // local files (07777)
  std::string etag;      // the object's ETag the file was synced with
  std::string md5;       // hex
  std::string sha256;    // hex (--manifest-sha256)
  // The xxh3-128 (hex, as `xxh128sum` prints it) of the file's bytes, where
  // known: verify --content checks it at disk speed.
  std::string xxh3;
  // The part layout a multipart object records (transfer::PartLayout),
  // where known: its ETag is then checked exactly.
  uint64_t part_size = 0;
  uint32_t part_doubling = 0;
  // The file was never proven to hold the object's bytes (an ETag no part
  // size reproduced): verify reports it unverified, never a match.
  bool unverified = false;
  // A folder's key kept in its key store: where the file is (the key is
  // not a file of its own name there); empty otherwise.
  std::string path;
  // What the object keeps besides its bytes (Content-Type and the other
  // content headers, x-amz-meta-*, tags): a JSON object as
  // sync/metadata.h's EncodeKept writes it; empty: nothing.
  std::string headers;
  // An --all-versions backup's version of the key: its place in the key's
  // history (1 the oldest, then ascending; 0: not a version record), the
  // ID the source gave it, whether it was the current one, whether it is a
  // delete marker (no bytes, no path), and its LastModified as listed. Its
  // bytes are at `path` (the version store, the key store) or, for the
  // current version the tree holds, at the key itself.
  uint32_t version = 0;
  std::string version_id;
  bool latest = false;
  bool delete_marker = false;
  std::string last_modified;
  // What a plain restore and verify see: the key's current object.
  bool current() const { return version == 0 || (latest && !delete_marker); }
};

struct Totals {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// A fresh run id and time (UTC, milliseconds) for a header.
void StampNow(Header* header);

// Writes a manifest to a temporary name beside `path` and renames it into
// place on Finish; destroyed unfinished, it removes the temporary file.
class Writer {
 public:
  static StatusOr<std::unique_ptr<Writer>> Create(const std::string& path, const Header& header);
  // Into `file`, a temporary made where the manifest goes (its path names it).
  static StatusOr<std::unique_ptr<Writer>> Create(std::unique_ptr<fileio::TempFile> file,
                                                  const Header& header);
  ~Writer();
  // InvalidArgument when keys are not in ascending order (a key's version
  // records: the same key, versions ascending).
  Status Add(const Record& record);
  // Writes the trailer, syncs and renames into place.
  StatusOr<Totals> Finish();

 private:
  struct Impl;
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Reader {
 public:
  // NotFound when `path` does not exist; DataLoss when it is not a manifest.
  static StatusOr<std::unique_ptr<Reader>> Open(const std::string& path);
  ~Reader();
  const Header& header() const;
  // The next record; false at the end, after checking the trailer. DataLoss
  // when the manifest is corrupt, cut short or out of order.
  StatusOr<bool> Next(Record* record);

 private:
  struct Impl;
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes `name` (a manifest's file name) as the content of
// DIR/manifest-latest, atomically.
Status WriteLatest(const std::string& dir, const std::string& name);
// The manifest a path names: a manifest file itself, a manifest-latest
// file, or a folder holding .gwsync/manifest-latest (a backup).
StatusOr<std::string> ResolveManifestPath(const std::string& path);

}  // namespace gwsync::manifest
