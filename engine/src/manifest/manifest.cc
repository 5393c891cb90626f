#include "manifest/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <span>
#include <utility>
#include <vector>

#include "fileio/files.h"
#include "fileio/state_dir.h"
#include "gwsync/printable.h"
#include "hash/hash.h"
#include "plan/plan.h"

namespace gwsync::manifest {
namespace {

using json = nlohmann::ordered_json;  // lines read "key" first

constexpr int kMaxWindowLog = 23;  // 8 MiB

json HeaderJson(const Header& h) {
  json j = {{"format", kFormat},  {"version", kVersion},
            {"source", h.source}, {"destination", h.destination},
            {"run", h.run},       {"time", h.time},
            {"sha256", h.sha256}, {"sync_errors", h.sync_errors}};
  if (!h.source_endpoint.empty()) j["source_endpoint"] = h.source_endpoint;
  if (!h.destination_endpoint.empty()) j["destination_endpoint"] = h.destination_endpoint;
  if (h.all_versions) j["all_versions"] = true;
  return j;
}

json RecordJson(const Record& r) {
  // JSON holds UTF-8 only: another key goes as its bytes in hex, exactly.
  json j =
      IsUtf8(r.key)
          ? json{{"key", r.key}, {"size", r.size}}
          : json{{"key_hex", hash::Hex(std::span(reinterpret_cast<const uint8_t*>(r.key.data()),
                                                 r.key.size()))},
                 {"size", r.size}};
  if (r.mtime_ns) j["mtime_ns"] = r.mtime_ns;
  if (r.mode) j["mode"] = r.mode;
  if (!r.etag.empty()) j["etag"] = r.etag;
  if (!r.md5.empty()) j["md5"] = r.md5;
  if (!r.sha256.empty()) j["sha256"] = r.sha256;
  if (!r.xxh3.empty()) j["xxh3"] = r.xxh3;
  if (r.part_size) j["part_size"] = r.part_size;
  if (r.part_doubling) j["part_doubling"] = r.part_doubling;
  if (r.unverified) j["unverified"] = true;
  if (!r.path.empty()) j["path"] = r.path;
  if (!r.headers.empty()) {
    json h = json::parse(r.headers, nullptr, /*allow_exceptions=*/false);
    if (h.is_object()) j["headers"] = std::move(h);
  }
  if (r.version) {
    j["version"] = r.version;
    j["version_id"] = r.version_id;
    if (r.latest) j["latest"] = true;
    if (r.delete_marker) j["delete_marker"] = true;
    if (!r.last_modified.empty()) j["last_modified"] = r.last_modified;
  }
  return j;
}

// Reads the field `name` of a line into `out`, left as it is when absent.
// False when the field has another type or a number does not fit `out`:
// a manifest is anyone's file, and a wrong field is DataLoss, never an
// exception, nor a number cut short or wrapped.
bool Get(const json& j, const char* name, std::string* out) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool Get(const json& j, const char* name, bool* out) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_boolean()) return false;
  *out = it->get<bool>();
  return true;
}

template <std::integral T>
bool Get(const json& j, const char* name, T* out) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (it->is_number_unsigned()) {
    auto v = it->get<uint64_t>();
    if (!std::in_range<T>(v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  if (it->is_number_integer()) {
    auto v = it->get<int64_t>();
    if (!std::in_range<T>(v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  return false;  // a fraction, or not a number
}

// Records ascend by key, and a key's version records by version.
// 32 lowercase hex digits: an xxh3-128 as written.
bool IsHex128(std::string_view s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool InOrder(const std::string& last_key, uint32_t last_version, const Record& r) {
  if (r.key != last_key) return r.key > last_key;
  return r.version > 0 && r.version > last_version;
}

}  // namespace

void StampNow(Header* header) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char run[32], iso[40];
  std::strftime(run, sizeof run, "%Y%m%dT%H%M%S", &tm);
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
  header->run = std::string(run) + frac + "Z";
  header->time = std::string(iso) + frac + "Z";
}

// ---- Writer ----

struct Writer::Impl {
  std::string path;
  // Hidden, and removed on failure or a signal (fileio::TempFile).
  std::unique_ptr<fileio::TempFile> file;
  ZSTD_CCtx* cctx = nullptr;
  std::vector<char> out;
  std::string last_key;
  uint32_t last_version = 0;
  bool any = false;
  Totals totals;

  ~Impl() {
    if (cctx) ZSTD_freeCCtx(cctx);
  }

  Status Compress(std::string_view data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      size_t left = ZSTD_compressStream2(cctx, &o, &in, mode);
      if (ZSTD_isError(left)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(left));
      RETURN_IF_ERROR(fileio::WriteAll(file->fd(), std::string_view(out.data(), o.pos), path));
      bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) return Status::Ok();
    }
  }

  // A header value that is not UTF-8 is written with U+FFFD, never thrown.
  Status Line(const json& j) {
    return Compress(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", ZSTD_e_continue);
  }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Writer::~Writer() = default;

StatusOr<std::unique_ptr<Writer>> Writer::Create(const std::string& path, const Header& header) {
  ASSIGN_OR_RETURN(auto file, fileio::TempFile::Create(path));
  return Create(std::move(file), header);
}

StatusOr<std::unique_ptr<Writer>> Writer::Create(std::unique_ptr<fileio::TempFile> file,
                                                 const Header& header) {
  auto impl = std::make_unique<Impl>();
  impl->path = file->path();
  impl->file = std::move(file);
  // It names every key: for its owner only, like the index.
  if (fchmod(impl->file->fd(), 0600) != 0)
    return fileio::ErrnoStatus("cannot create manifest '" + impl->path + "'", errno);
  impl->cctx = ZSTD_createCCtx();
  if (!impl->cctx) return Internal("zstd: cannot create a compression context");
  ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_checksumFlag, 1);
  impl->out.resize(ZSTD_CStreamOutSize());
  RETURN_IF_ERROR(impl->Line(HeaderJson(header)));
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

Status Writer::Add(const Record& record) {
  Impl& w = *impl_;
  if (w.any && !InOrder(w.last_key, w.last_version, record)) {
    return InvalidArgument("manifest keys out of order: '" + record.key + "' after '" + w.last_key +
                           "'");
  }
  w.any = true;
  w.last_key = record.key;
  w.last_version = record.version;
  w.totals.objects++;
  w.totals.bytes += record.size;
  return w.Line(RecordJson(record));
}

StatusOr<Totals> Writer::Finish() {
  Impl& w = *impl_;
  json end = {{"end", true}, {"objects", w.totals.objects}, {"bytes", w.totals.bytes}};
  RETURN_IF_ERROR(w.Compress(end.dump() + "\n", ZSTD_e_end));
  if (fsync(w.file->fd()) != 0) return fileio::ErrnoStatus("cannot write '" + w.path + "'", errno);
  RETURN_IF_ERROR(w.file->Commit());
  return w.totals;
}

// ---- Reader ----

struct Reader::Impl {
  std::string path;
  int fd = -1;
  ZSTD_DCtx* dctx = nullptr;
  std::vector<char> in;
  ZSTD_inBuffer inbuf{nullptr, 0, 0};
  std::vector<char> out;
  std::string pending;  // decompressed, not yet returned
  size_t pending_pos = 0;
  bool eof = false;
  bool frame_done = true;  // the last zstd frame ended
  bool out_full = false;   // the last call filled `out`
  bool ended = false;      // the trailer was read
  Header header;
  std::string last_key;
  uint32_t last_version = 0;
  bool any = false;  // a record was read ("" is a key too)
  Totals totals;

  ~Impl() {
    if (dctx) ZSTD_freeDCtx(dctx);
    if (fd >= 0) close(fd);
  }

  Status Corrupt(const std::string& why) const {
    return DataLoss("manifest '" + path + "': " + why);
  }

  // Decompresses more into `pending`; false at the end of the file.
  StatusOr<bool> Fill() {
    for (;;) {
      // A full output buffer may leave output inside zstd: drain it first.
      if (inbuf.pos == inbuf.size && !out_full) {
        if (eof) {
          if (!frame_done) return Corrupt("cut short (incomplete zstd frame)");
          return false;
        }
        ssize_t n = read(fd, in.data(), in.size());
        if (n < 0) {
          if (errno == EINTR) continue;
          return fileio::ErrnoStatus("cannot read '" + path + "'", errno);
        }
        if (n == 0) {
          eof = true;
          continue;
        }
        inbuf = {in.data(), static_cast<size_t>(n), 0};
      }
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      size_t r = ZSTD_decompressStream(dctx, &o, &inbuf);
      if (ZSTD_isError(r))
        return Corrupt(std::string("not zstd data (") + ZSTD_getErrorName(r) + ")");
      frame_done = r == 0;
      out_full = o.pos == o.size;
      if (o.pos > 0) {
        pending.erase(0, pending_pos);
        pending_pos = 0;
        pending.append(out.data(), o.pos);
        return true;
      }
    }
  }

  // The next line; false at the end of the data.
  StatusOr<bool> Line(std::string* line) {
    for (;;) {
      size_t nl = pending.find('\n', pending_pos);
      if (nl != std::string::npos) {
        line->assign(pending, pending_pos, nl - pending_pos);
        pending_pos = nl + 1;
        return true;
      }
      if (pending.size() - pending_pos > (64u << 20)) return Corrupt("a line longer than 64 MiB");
      ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        if (pending_pos < pending.size()) return Corrupt("cut short (a partial line)");
        return false;
      }
    }
  }
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::~Reader() = default;
const Header& Reader::header() const { return impl_->header; }

StatusOr<std::unique_ptr<Reader>> Reader::Open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl->fd < 0) return fileio::ErrnoStatus("cannot open manifest '" + path + "'", errno);
  impl->dctx = ZSTD_createDCtx();
  if (!impl->dctx) return Internal("zstd: cannot create a decompression context");
  // The window a frame asks for is allocated as it starts: a few bytes must
  // not claim zstd's default 128 MiB. The Writer's level 3 uses 2 MiB; this
  // takes a manifest recompressed at any level up to 19.
  ZSTD_DCtx_setParameter(impl->dctx, ZSTD_d_windowLogMax, kMaxWindowLog);
  impl->in.resize(ZSTD_DStreamInSize());
  impl->out.resize(ZSTD_DStreamOutSize());
  std::string line;
  ASSIGN_OR_RETURN(bool got, impl->Line(&line));
  if (!got) return impl->Corrupt("empty");
  json h = json::parse(line, nullptr, false);
  std::string format;
  if (h.is_discarded() || !h.is_object() || !Get(h, "format", &format) || format != kFormat) {
    return impl->Corrupt("not a gwsync manifest (no header line)");
  }
  int64_t version = 0;
  if (!Get(h, "version", &version) || version != kVersion) {
    std::string said = h.contains("version")
                           ? h["version"].dump(-1, ' ', false, json::error_handler_t::replace)
                           : "(none)";
    return impl->Corrupt("format version " + said.substr(0, 32) +
                         " is not supported (this gwsync reads version " +
                         std::to_string(kVersion) + ")");
  }
  Header& hd = impl->header;
  if (!Get(h, "source", &hd.source) || !Get(h, "destination", &hd.destination) ||
      !Get(h, "source_endpoint", &hd.source_endpoint) ||
      !Get(h, "destination_endpoint", &hd.destination_endpoint) || !Get(h, "run", &hd.run) ||
      !Get(h, "time", &hd.time) || !Get(h, "sha256", &hd.sha256) ||
      !Get(h, "sync_errors", &hd.sync_errors) || !Get(h, "all_versions", &hd.all_versions)) {
    return impl->Corrupt("a field of the header line has the wrong type");
  }
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

StatusOr<bool> Reader::Next(Record* record) {
  Impl& r = *impl_;
  if (r.ended) return false;
  std::string line;
  ASSIGN_OR_RETURN(bool got, r.Line(&line));
  if (!got) return r.Corrupt("cut short (no trailer line)");
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return r.Corrupt("a line is not JSON");
  bool end = false;
  if (!Get(j, "end", &end)) return r.Corrupt("a line has an \"end\" that is not true or false");
  if (end) {
    Totals said;
    if (!Get(j, "objects", &said.objects) || !Get(j, "bytes", &said.bytes) ||
        said.objects != r.totals.objects || said.bytes != r.totals.bytes) {
      return r.Corrupt("the trailer's totals do not match the records");
    }
    r.ended = true;
    return false;
  }
  *record = Record();
  if (j.contains("key_hex") && j["key_hex"].is_string() &&
      hash::FromHex(j["key_hex"].get<std::string>(), &record->key) && j.contains("size")) {
    // a key that is not UTF-8
  } else if (!j.contains("key") || !j["key"].is_string() || !j.contains("size")) {
    return r.Corrupt("a record without key or size");
  } else {
    record->key = j["key"].get<std::string>();
  }
  if (!Get(j, "version", &record->version)) {
    return r.Corrupt("a field of the record of '" + record->key + "' has the wrong type");
  }
  if (r.any && !InOrder(r.last_key, r.last_version, *record)) {
    return r.Corrupt("keys out of order at '" + record->key + "'");
  }
  r.any = true;
  r.last_key = record->key;
  r.last_version = record->version;
  if (!Get(j, "size", &record->size) || !Get(j, "mtime_ns", &record->mtime_ns) ||
      !Get(j, "mode", &record->mode) || !Get(j, "etag", &record->etag) ||
      !Get(j, "md5", &record->md5) || !Get(j, "sha256", &record->sha256) ||
      !Get(j, "xxh3", &record->xxh3) || !Get(j, "part_size", &record->part_size) ||
      !Get(j, "part_doubling", &record->part_doubling) ||
      !Get(j, "unverified", &record->unverified) || !Get(j, "path", &record->path) ||
      !Get(j, "version_id", &record->version_id) || !Get(j, "latest", &record->latest) ||
      !Get(j, "delete_marker", &record->delete_marker) ||
      !Get(j, "last_modified", &record->last_modified)) {
    return r.Corrupt("a field of the record of '" + record->key + "' has the wrong type");
  }
  if (!record->xxh3.empty() && !IsHex128(record->xxh3)) {
    return r.Corrupt("the xxh3 of '" + record->key + "' is not 32 hex digits");
  }
  if (auto h = j.find("headers"); h != j.end() && h->is_object()) {
    record->headers = h->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  r.totals.objects++;
  r.totals.bytes += record->size;
  return true;
}

Status WriteLatest(const std::string& dir, const std::string& name) {
  return fileio::WriteFileAtomically(dir + "/" + std::string(kLatestName), name + "\n", 0600);
}

StatusOr<std::string> ResolveManifestPath(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return fileio::ErrnoStatus("'" + path + "'", errno);
  std::string dir, latest;
  StatusOr<fileio::StateDir> state = NotFound("");
  if (S_ISDIR(st.st_mode)) {
    // A backup folder: its state folder, reached through no link.
    dir = path + "/" + std::string(plan::kReservedDir);
    state = fileio::StateDir::Open(path, plan::kReservedDir, false);
  } else if (path.ends_with(kLatestName)) {
    size_t slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash);
    state = fileio::StateDir::Open(dir, "", false);
  } else {
    return path;
  }
  latest = dir + "/" + std::string(kLatestName);
  // Read through no link either.
  StatusOr<std::string> body =
      state.ok() ? state->ReadFile(std::string(kLatestName), 4096) : state.status();
  if (!body.ok() && body.status().code() != StatusCode::kNotFound) return body.status();
  std::string name = body.ok() ? body->substr(0, body->find('\n')) : "";
  if (name.empty()) return NotFound("'" + path + "' has no manifest (no " + latest + ")");
  // A name in the same folder, never a path elsewhere.
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    return Status(StatusCode::kFailedPrecondition,
                  "'" + latest + "' names '" + name + "', not a manifest in " + dir);
  }
  return dir + "/" + name;
}

}  // namespace gwsync::manifest
