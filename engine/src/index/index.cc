// size: one RocksDB database: the record kinds (local, remote, uploads,
// runs) share its handle, options and key encoding.
#include "index/index.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "hash/hash.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "util/cache_dir.h"

namespace gwsync::index {
namespace {

// Bumped whenever a record layout changes; a newer layout then decodes as
// absent, which costs one re-read, never a wrong answer. Version 1 records
// (before the `unverified` flag) are still read, so an upgrade re-reads
// nothing.
constexpr uint8_t kFormatVersion = 2;
// Flags of a record.
constexpr uint32_t kUnverified = 1;    // the copy's content was never proven
constexpr uint32_t kAttrsPending = 2;  // an attribute of the file could not be set

constexpr char kSep = '\0';
// The index's memory, whatever the number of keys: a 16 MiB block cache,
// and memtables of every family together within 32 MiB (charged to a
// WriteBufferManager, which flushes the largest when they would exceed it).
constexpr size_t kWriteBufferSize = 16 << 20;
constexpr size_t kBlockCacheSize = 16 << 20;
constexpr size_t kAllMemtables = 32 << 20;

enum Family { kDefault = 0, kLocal, kRemote, kUploads, kFamilyCount };
// "default" is RocksDB's own, unused here but always present. ("runs", of
// an earlier gwsync, is opened as a family it does not know, and unused.)
const char* const kFamilyNames[kFamilyCount] = {"default", "local", "remote", "uploads"};

// ---- Value encoding: a version byte, then fields in a fixed order: integers
// as little-endian fixed width, strings and counts as varint-length-prefixed.

class Encoder {
 public:
  Encoder() { out_.push_back(static_cast<char>(kFormatVersion)); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Every read is bounds-checked; after any failure ok() stays false and the
// caller discards the record.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {
    version_ = in_.empty() ? 0 : static_cast<uint8_t>(in_[0]);
    ok_ = version_ == 1 || version_ == kFormatVersion;
    pos_ = 1;
  }
  uint8_t version() const { return version_; }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  int64_t I64() { return static_cast<int64_t>(Fixed(8)); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      if (pos_ >= in_.size()) break;
      auto byte = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  std::string Str() {
    uint64_t n = Varint();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // True when every read succeeded and nothing is left over.
  bool Done() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  uint64_t Fixed(int bytes) {
    if (!ok_ || in_.size() - pos_ < static_cast<size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += bytes;
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  uint8_t version_ = 0;
  bool ok_ = false;
};

std::string Encode(const LocalRecord& r) {
  Encoder e;
  e.U64(r.size);
  e.I64(r.mtime_ns);
  e.U64(r.inode);
  e.U32(r.mode);
  e.Str(r.md5);
  e.Str(r.etag);
  e.U32((r.unverified ? kUnverified : 0) | (r.attrs_pending ? kAttrsPending : 0));
  e.U64(r.part_size);
  e.U32(r.part_doubling);
  e.Str(r.headers);
  std::string xxh3;  // 16 bytes, not 32 hex digits
  if (!hash::FromHex(r.xxh3, &xxh3) || xxh3.size() != 16) xxh3.clear();
  e.Str(xxh3);
  return e.Take();
}

std::optional<LocalRecord> DecodeLocal(std::string_view in) {
  Decoder d(in);
  LocalRecord r;
  r.size = d.U64();
  r.mtime_ns = d.I64();
  r.inode = d.U64();
  r.mode = d.U32();
  if (d.version() == 1) d.Str();  // an xxh3 never written
  r.md5 = d.Str();
  r.etag = d.Str();
  if (d.version() > 1) {
    const uint32_t flags = d.U32();
    r.unverified = (flags & kUnverified) != 0;
    r.attrs_pending = (flags & kAttrsPending) != 0;
    r.part_size = d.U64();
    r.part_doubling = d.U32();
    if (!d.Done()) r.headers = d.Str();  // in records that have them
    if (!d.Done()) {
      const std::string xxh3 = d.Str();
      if (xxh3.size() == 16)
        r.xxh3 = hash::Hex({reinterpret_cast<const uint8_t*>(xxh3.data()), 16});
    }
  }
  if (!d.Done()) return std::nullopt;
  return r;
}

std::string Encode(const RemoteRecord& r) {
  Encoder e;
  e.U64(r.size);
  e.Str(r.etag);
  e.Str(r.source_etag);
  e.U32(r.unverified ? kUnverified : 0);
  return e.Take();
}

std::optional<RemoteRecord> DecodeRemote(std::string_view in) {
  Decoder d(in);
  RemoteRecord r;
  r.size = d.U64();
  r.etag = d.Str();
  r.source_etag = d.Str();
  if (d.version() == 1) {
    d.I64();  // an mtime never written
  } else {
    r.unverified = (d.U32() & kUnverified) != 0;
  }
  if (!d.Done()) return std::nullopt;
  return r;
}

std::string Encode(const UploadRecord& r) {
  Encoder e;
  e.Str(r.upload_id);
  e.U64(r.part_size);
  e.U64(r.file_size);
  e.I64(r.file_mtime_ns);
  e.Varint(r.part_md5s.size());
  for (const auto& [part, md5] : r.part_md5s) {
    e.U32(static_cast<uint32_t>(part));
    e.Str(md5);
  }
  e.U64(r.file_dev);
  e.U64(r.file_inode);
  e.I64(r.file_ctime_ns);
  e.I64(r.saved_at);
  return e.Take();
}

std::optional<UploadRecord> DecodeUpload(std::string_view in) {
  Decoder d(in);
  UploadRecord r;
  r.upload_id = d.Str();
  r.part_size = d.U64();
  r.file_size = d.U64();
  r.file_mtime_ns = d.I64();
  uint64_t parts = d.Varint();
  // Each part takes at least 5 bytes, so a corrupt count cannot run long.
  for (uint64_t i = 0; i < parts && d.ok(); ++i) {
    auto part = static_cast<int>(d.U32());
    r.part_md5s[part] = d.Str();
  }
  if (!d.ok() || r.part_md5s.size() != parts) return std::nullopt;
  if (!d.Done()) {  // the file's identity, in records that have it
    r.file_dev = d.U64();
    r.file_inode = d.U64();
    r.file_ctime_ns = d.I64();
    if (!d.Done()) r.saved_at = d.I64();
    if (!d.Done()) return std::nullopt;
  }
  return r;
}

// ---- Keys: components joined with '\0', which no path or S3 key contains,
// so a root's keys form one contiguous range ("/a\0..." never mixes with
// "/ab\0...") in RocksDB's bytewise order.

std::string LocalKey(const std::string& root, std::string_view key) {
  std::string k;
  k.reserve(root.size() + 1 + key.size());
  k.append(root).push_back(kSep);
  k.append(key);
  return k;
}

std::string ObjectKey(const std::string& endpoint, const std::string& bucket,
                      const std::string& key) {
  std::string k;
  k.reserve(endpoint.size() + bucket.size() + key.size() + 2);
  k.append(endpoint).push_back(kSep);
  k.append(bucket).push_back(kSep);
  k.append(key);
  return k;
}

bool IsLockError(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  // Another process: "While lock file: .../LOCK: Resource temporarily
  // unavailable"; this process: "lock hold by current process".
  const std::string msg = s.ToString();
  return msg.find("While lock file") != std::string::npos ||
         msg.find("lock hold") != std::string::npos;
}

}  // namespace

// Makes every file RocksDB creates 0600 as it is created: the index names
// each file and key synced, and the user's umask (often 022) would leave it
// readable by all. Safe from any thread, as the file system it wraps.
class PrivateFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit PrivateFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
      : FileSystemWrapper(target) {}
  const char* Name() const override { return "GwsyncPrivateFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    return Private(f, target()->NewWritableFile(f, o, r, d));
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    return Private(f, target()->ReopenWritableFile(f, o, r, d));
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    return Private(f, target()->ReuseWritableFile(f, old, o, r, d));
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* d) override {
    return Private(f, target()->NewRandomRWFile(f, o, r, d));
  }
  rocksdb::IOStatus NewLogger(const std::string& f, const rocksdb::IOOptions& o,
                              std::shared_ptr<rocksdb::Logger>* r,
                              rocksdb::IODebugContext* d) override {
    return Private(f, target()->NewLogger(f, o, r, d));
  }
  rocksdb::IOStatus LockFile(const std::string& f, const rocksdb::IOOptions& o,
                             rocksdb::FileLock** l, rocksdb::IODebugContext* d) override {
    return Private(f, target()->LockFile(f, o, l, d));
  }

 private:
  // The folder is 0700 as well, so nobody else can open a file in the
  // moment before its mode changes.
  static rocksdb::IOStatus Private(const std::string& f, rocksdb::IOStatus s) {
    if (s.ok()) chmod(f.c_str(), 0600);
    return s;
  }
};

struct Index::Impl {
  std::string path;
  std::unique_ptr<rocksdb::Env> env;  // outlives db
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned; indexed by Family
  std::vector<rocksdb::ColumnFamilyHandle*> extra;    // families of a newer gwsync; owned
  rocksdb::WriteOptions write_options;

  ~Impl() {
    if (!db) return;
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    for (auto* h : extra) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db->Close().PermitUncheckedError();
  }

  Status Error(const rocksdb::Status& s, std::string_view what) const {
    std::string msg = "index '" + path + "': " + std::string(what) + ": " + s.ToString();
    if (s.IsNoSpace()) return {StatusCode::kResourceExhausted, msg};
    if (s.IsCorruption()) return DataLoss(msg);
    return Internal(msg);
  }

  StatusOr<std::optional<std::string>> Get(Family f, const std::string& key) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), handles[f], key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return Error(s, "read");
    return std::optional<std::string>(std::move(value));
  }

  // The batch of the thread that began one (BeginBatch).
  std::atomic<std::thread::id> batch_owner{};
  rocksdb::WriteBatch batch;
  bool Batching() const { return batch_owner.load() == std::this_thread::get_id(); }

  Status Put(Family f, const std::string& key, const std::string& value) {
    rocksdb::Status s = Batching() ? batch.Put(handles[f], key, value)
                                   : db->Put(write_options, handles[f], key, value);
    return s.ok() ? Status::Ok() : Error(s, "write");
  }

  Status Delete(Family f, const std::string& key) {
    rocksdb::Status s =
        Batching() ? batch.Delete(handles[f], key) : db->Delete(write_options, handles[f], key);
    return s.ok() ? Status::Ok() : Error(s, "delete");
  }
};

Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

void Index::BeginBatch() { impl_->batch_owner.store(std::this_thread::get_id()); }

Status Index::CommitBatch() {
  impl_->batch_owner.store(std::thread::id());
  if (impl_->batch.Count() == 0) return Status::Ok();
  rocksdb::Status s = impl_->db->Write(impl_->write_options, &impl_->batch);
  impl_->batch.Clear();
  return s.ok() ? Status::Ok() : impl_->Error(s, "write");
}
Index::~Index() = default;

std::string Index::DefaultPath() { return util::CacheDir() + "/index"; }

StatusOr<std::unique_ptr<Index>> Index::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Internal("index '" + path + "': cannot create the folder: " + ec.message());
  // It names every file and key synced: only its owner may enter it.
  std::filesystem::permissions(path, std::filesystem::perms::owner_all, ec);
  if (ec) return Internal("index '" + path + "': cannot make it private: " + ec.message());

  // One small cache for all families: the index is a cache itself and must
  // not take memory from transfers.
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheSize);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = kWriteBufferSize;
  cf_options.max_write_buffer_number = 2;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_open_files = 256;
  db_options.keep_log_file_num = 2;
  db_options.max_log_file_size = 1 << 20;
  db_options.max_total_wal_size = 4 * kWriteBufferSize;
  db_options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(kAllMemtables);

  // Open every family already there (a newer gwsync may have added some);
  // RocksDB refuses an open that leaves one out.
  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(db_options, path, &existing).PermitUncheckedError();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kFamilyNames) descriptors.emplace_back(name, cf_options);
  for (const auto& name : existing) {
    bool known = false;
    for (const char* ours : kFamilyNames) known = known || name == ours;
    if (!known) descriptors.emplace_back(name, cf_options);
  }

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->env =
      rocksdb::NewCompositeEnv(std::make_shared<PrivateFileSystem>(rocksdb::FileSystem::Default()));
  db_options.env = impl->env.get();
  impl->write_options.sync = false;  // a cache: losing the last writes costs a re-read
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (IsLockError(s)) {
      return Status(StatusCode::kFailedPrecondition,
                    "index '" + path + "' is in use by another gwsync process");
    }
    return impl->Error(s, "cannot open (it is only a cache: delete it to start afresh)");
  }
  impl->db.reset(raw);
  impl->handles.assign(handles.begin(), handles.begin() + kFamilyCount);
  impl->extra.assign(handles.begin() + kFamilyCount, handles.end());
  return std::unique_ptr<Index>(new Index(std::move(impl)));
}

StatusOr<std::optional<LocalRecord>> Index::GetLocal(const std::string& root,
                                                     const std::string& key) {
  ASSIGN_OR_RETURN(auto value, impl_->Get(kLocal, LocalKey(root, key)));
  if (!value) return std::optional<LocalRecord>();
  return DecodeLocal(*value);
}

Status Index::PutLocal(const std::string& root, const std::string& key, const LocalRecord& record) {
  return impl_->Put(kLocal, LocalKey(root, key), Encode(record));
}

Status Index::DeleteLocal(const std::string& root, const std::string& key) {
  return impl_->Delete(kLocal, LocalKey(root, key));
}

StatusOr<std::optional<RemoteRecord>> Index::GetRemote(const std::string& endpoint,
                                                       const std::string& bucket,
                                                       const std::string& key) {
  ASSIGN_OR_RETURN(auto value, impl_->Get(kRemote, ObjectKey(endpoint, bucket, key)));
  if (!value) return std::optional<RemoteRecord>();
  return DecodeRemote(*value);
}

Status Index::PutRemote(const std::string& endpoint, const std::string& bucket,
                        const std::string& key, const RemoteRecord& record) {
  return impl_->Put(kRemote, ObjectKey(endpoint, bucket, key), Encode(record));
}

Status Index::DeleteRemote(const std::string& endpoint, const std::string& bucket,
                           const std::string& key) {
  return impl_->Delete(kRemote, ObjectKey(endpoint, bucket, key));
}

StatusOr<std::optional<UploadRecord>> Index::GetUpload(const std::string& endpoint,
                                                       const std::string& bucket,
                                                       const std::string& key) {
  ASSIGN_OR_RETURN(auto value, impl_->Get(kUploads, ObjectKey(endpoint, bucket, key)));
  if (!value) return std::optional<UploadRecord>();
  return DecodeUpload(*value);
}

Status Index::PutUpload(const std::string& endpoint, const std::string& bucket,
                        const std::string& key, const UploadRecord& record) {
  return impl_->Put(kUploads, ObjectKey(endpoint, bucket, key), Encode(record));
}

Status Index::ForEachUpload(
    const std::string& endpoint, const std::string& bucket, const std::string& prefix,
    const std::function<bool(const std::string& key, const UploadRecord&)>& fn) {
  const std::string start = ObjectKey(endpoint, bucket, prefix);
  const size_t key_at = ObjectKey(endpoint, bucket, "").size();
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handles[kUploads]));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    auto record = DecodeUpload(it->value().ToStringView());
    if (!record) continue;
    if (!fn(it->key().ToString().substr(key_at), *record)) break;
  }
  return it->status().ok() ? Status::Ok() : impl_->Error(it->status(), "read");
}

Status Index::ForEachLocal(
    const std::string& root,
    const std::function<bool(const std::string& path, const LocalRecord&)>& fn) {
  const std::string start = LocalKey(root, "");
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handles[kLocal]));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    auto record = DecodeLocal(it->value().ToStringView());
    if (!record) continue;
    if (!fn(it->key().ToString().substr(start.size()), *record)) break;
  }
  return it->status().ok() ? Status::Ok() : impl_->Error(it->status(), "read");
}

Status Index::DeleteUpload(const std::string& endpoint, const std::string& bucket,
                           const std::string& key) {
  return impl_->Delete(kUploads, ObjectKey(endpoint, bucket, key));
}

}  // namespace gwsync::index
