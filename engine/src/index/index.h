// The sync index: a RocksDB database that remembers what was synced, so the
// next run over unchanged data reads no file and fetches no object. It is a
// cache: deleting it costs time, never correctness. Column families:
//   local   (root, relative path) -> the file as last synced and the ETag its
//           object had then
//   remote  (endpoint, bucket, key) -> the object as last synced (and the
//           source ETag it was copied from, for cluster-to-cluster syncs)
//   uploads (endpoint, bucket, key) -> a multipart upload in flight, with the
//           parts done, so an interrupted upload resumes
// An Index is safe to use from any number of threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gwsync/status.h"

namespace gwsync::index {

struct LocalRecord {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint32_t mode = 0;
  std::string md5;   // hex, may be empty
  std::string etag;  // the object's ETag when the file was last in sync with it
  // The xxh3-128 (hex) of the file's bytes then (sync --checksum and verify
  // --content check it at disk speed); empty: not known.
  std::string xxh3;
  // The part layout the object records (multipart objects gwsync uploaded),
  // so that its ETag is checked exactly later (verify --content).
  uint64_t part_size = 0;
  uint32_t part_doubling = 0;
  // The file holds the object's bytes as far as anyone can tell, but that
  // was never proven (transfer/etag.h: unverifiable): not in sync yet.
  bool unverified = false;
  // Its content is the object's, but an owner, mode or time could not be
  // set: not in sync yet either.
  bool attrs_pending = false;
  // A downloaded file: what its object keeps besides its bytes (headers,
  // metadata, tags), as sync::EncodeKept writes it; empty: not known. The
  // run manifest takes it from here where the file system has no user
  // attributes to hold it.
  std::string headers;
};

struct RemoteRecord {
  uint64_t size = 0;
  std::string etag;
  std::string source_etag;  // the source object's ETag it was copied from
  bool unverified = false;  // the copy's content was never proven
};

struct UploadRecord {
  std::string upload_id;
  uint64_t part_size = 0;
  uint64_t file_size = 0;
  int64_t file_mtime_ns = 0;
  std::map<int, std::string> part_md5s;  // part number -> MD5 (hex) of parts done
  // The file's identity (transfer::UploadCheckpoint); 0 in records written
  // before it was kept, which then never match.
  uint64_t file_dev = 0;
  uint64_t file_inode = 0;
  int64_t file_ctime_ns = 0;
  // When it was last saved (seconds since the epoch; 0 in older records):
  // an upload no run has touched for long is abandoned (sync::kAbandonedAfter).
  int64_t saved_at = 0;
};

class Index {
 public:
  // Opens or creates the database at `path` (parent folders created).
  // FailedPrecondition naming the path when another process holds it.
  static StatusOr<std::unique_ptr<Index>> Open(const std::string& path);
  // The default location: $XDG_CACHE_HOME/gwsync/index or ~/.cache/gwsync/index.
  static std::string DefaultPath();
  ~Index();

  StatusOr<std::optional<LocalRecord>> GetLocal(const std::string& root, const std::string& key);
  Status PutLocal(const std::string& root, const std::string& key, const LocalRecord& record);
  Status DeleteLocal(const std::string& root, const std::string& key);
  StatusOr<std::optional<RemoteRecord>> GetRemote(const std::string& endpoint,
                                                  const std::string& bucket,
                                                  const std::string& key);
  Status PutRemote(const std::string& endpoint, const std::string& bucket, const std::string& key,
                   const RemoteRecord& record);
  Status DeleteRemote(const std::string& endpoint, const std::string& bucket,
                      const std::string& key);

  StatusOr<std::optional<UploadRecord>> GetUpload(const std::string& endpoint,
                                                  const std::string& bucket,
                                                  const std::string& key);
  Status PutUpload(const std::string& endpoint, const std::string& bucket, const std::string& key,
                   const UploadRecord& record);
  Status DeleteUpload(const std::string& endpoint, const std::string& bucket,
                      const std::string& key);
  // Calls `fn` with each upload record of keys under `prefix` in `bucket`,
  // in key order, until it returns false. Records that do not decode are
  // passed over.
  Status ForEachUpload(const std::string& endpoint, const std::string& bucket,
                       const std::string& prefix,
                       const std::function<bool(const std::string& key, const UploadRecord&)>& fn);

  // Calls `fn` with each local record under `root`, in path order, until it
  // returns false. Records that do not decode are passed over.
  Status ForEachLocal(const std::string& root,
                      const std::function<bool(const std::string& path, const LocalRecord&)>& fn);

  // The Put and Delete calls the calling thread makes between BeginBatch and
  // CommitBatch reach the database as one write (a sync commits a burst of
  // finished transfers at once); other threads write as before, and reads
  // do not see a batch before it is committed.
  void BeginBatch();
  Status CommitBatch();

 private:
  struct Impl;
  explicit Index(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwsync::index
