#include "manifest/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "plan/plan.h"
#include "transfer/files.h"

namespace gwsync::manifest {
namespace {

using json = nlohmann::ordered_json;  // lines read "key" first

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
  json j = {{"key", r.key}, {"size", r.size}};
  if (r.mtime_ns) j["mtime_ns"] = r.mtime_ns;
  if (r.mode) j["mode"] = r.mode;
  if (!r.etag.empty()) j["etag"] = r.etag;
  if (!r.md5.empty()) j["md5"] = r.md5;
  if (!r.sha256.empty()) j["sha256"] = r.sha256;
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

// Records ascend by key, and a key's version records by version.
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
  // Hidden, and removed on failure or a signal (transfer::TempFile).
  std::unique_ptr<transfer::TempFile> file;
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
      RETURN_IF_ERROR(transfer::WriteAll(file->fd(), std::string_view(out.data(), o.pos), path));
      bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) return Status::Ok();
    }
  }

  Status Line(const json& j) { return Compress(j.dump() + "\n", ZSTD_e_continue); }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Writer::~Writer() = default;

StatusOr<std::unique_ptr<Writer>> Writer::Create(const std::string& path, const Header& header) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  ASSIGN_OR_RETURN(impl->file, transfer::TempFile::Create(path));
  // It names every key: for its owner only, like the index.
  if (fchmod(impl->file->fd(), 0600) != 0)
    return transfer::ErrnoStatus("cannot create manifest '" + path + "'", errno);
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
  if (fsync(w.file->fd()) != 0)
    return transfer::ErrnoStatus("cannot write '" + w.path + "'", errno);
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
  bool any = false;
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
          return transfer::ErrnoStatus("cannot read '" + path + "'", errno);
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
  if (impl->fd < 0) return transfer::ErrnoStatus("cannot open manifest '" + path + "'", errno);
  impl->dctx = ZSTD_createDCtx();
  if (!impl->dctx) return Internal("zstd: cannot create a decompression context");
  impl->in.resize(ZSTD_DStreamInSize());
  impl->out.resize(ZSTD_DStreamOutSize());
  std::string line;
  ASSIGN_OR_RETURN(bool got, impl->Line(&line));
  if (!got) return impl->Corrupt("empty");
  json h = json::parse(line, nullptr, false);
  if (h.is_discarded() || !h.is_object() || h.value("format", "") != kFormat) {
    return impl->Corrupt("not a gwsync manifest (no header line)");
  }
  if (h.value("version", 0) != kVersion) {
    return impl->Corrupt("format version " + std::to_string(h.value("version", 0)) +
                         " is not supported (this gwsync reads version " +
                         std::to_string(kVersion) + ")");
  }
  Header& hd = impl->header;
  hd.source = h.value("source", "");
  hd.destination = h.value("destination", "");
  hd.source_endpoint = h.value("source_endpoint", "");
  hd.destination_endpoint = h.value("destination_endpoint", "");
  hd.run = h.value("run", "");
  hd.time = h.value("time", "");
  hd.sha256 = h.value("sha256", false);
  hd.sync_errors = h.value("sync_errors", uint64_t{0});
  hd.all_versions = h.value("all_versions", false);
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
  if (j.value("end", false)) {
    if (j.value("objects", uint64_t{0}) != r.totals.objects ||
        j.value("bytes", uint64_t{0}) != r.totals.bytes) {
      return r.Corrupt("the trailer's totals do not match the records");
    }
    r.ended = true;
    return false;
  }
  if (!j.contains("key") || !j["key"].is_string() || !j.contains("size")) {
    return r.Corrupt("a record without key or size");
  }
  *record = Record();
  record->key = j["key"].get<std::string>();
  record->version = j.value("version", uint32_t{0});
  if (r.any && !InOrder(r.last_key, r.last_version, *record)) {
    return r.Corrupt("keys out of order at '" + record->key + "'");
  }
  r.any = true;
  r.last_key = record->key;
  r.last_version = record->version;
  record->size = j.value("size", uint64_t{0});
  record->mtime_ns = j.value("mtime_ns", int64_t{0});
  record->mode = j.value("mode", uint32_t{0});
  record->etag = j.value("etag", "");
  record->md5 = j.value("md5", "");
  record->sha256 = j.value("sha256", "");
  record->part_size = j.value("part_size", uint64_t{0});
  record->part_doubling = j.value("part_doubling", uint32_t{0});
  record->unverified = j.value("unverified", false);
  record->path = j.value("path", "");
  if (auto h = j.find("headers"); h != j.end() && h->is_object()) {
    record->headers = h->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  record->version_id = j.value("version_id", "");
  record->latest = j.value("latest", false);
  record->delete_marker = j.value("delete_marker", false);
  record->last_modified = j.value("last_modified", "");
  r.totals.objects++;
  r.totals.bytes += record->size;
  return true;
}

Status WriteLatest(const std::string& dir, const std::string& name) {
  return transfer::WriteFileAtomically(dir + "/" + std::string(kLatestName), name + "\n", 0600);
}

StatusOr<std::string> ResolveManifestPath(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return transfer::ErrnoStatus("'" + path + "'", errno);
  std::string dir, latest;
  if (S_ISDIR(st.st_mode)) {
    dir = path + "/" + std::string(plan::kReservedDir);
    latest = dir + "/" + std::string(kLatestName);
  } else if (path.ends_with(kLatestName)) {
    latest = path;
    size_t slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash);
  } else {
    return path;
  }
  std::ifstream in(latest);
  std::string name;
  if (!in || !std::getline(in, name) || name.empty()) {
    return NotFound("'" + path + "' has no manifest (no " + latest + ")");
  }
  return dir + "/" + name;
}

}  // namespace gwsync::manifest
