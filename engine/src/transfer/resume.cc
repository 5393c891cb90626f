#include "transfer/resume.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "fileio/temp_name.h"

namespace gwsync::transfer {
namespace {

constexpr char kMagic[] = "gwsync-resume-2";
constexpr uint64_t kSaveEvery = 1 << 20;

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

namespace {

constexpr char kMagicV1[] = "gwsync-resume-1";  // one number per part (older binaries)

uint64_t PartLength(const ResumeRecord& r, size_t part) {
  return std::min(r.part_size, r.size - part * r.part_size);
}

// One run: `count` parts from `first`, each with the same bytes on disk
// (or each whole, "f").
std::string RunToken(const ResumeRecord& r, size_t first, size_t count) {
  const uint64_t v = r.written[first];
  std::string t = v > 0 && v == PartLength(r, first) ? "f" : std::to_string(v);
  if (count > 1) t += "*" + std::to_string(count);
  return t;
}

bool SameRun(const ResumeRecord& r, size_t a, size_t b) {
  const bool whole_a = r.written[a] > 0 && r.written[a] == PartLength(r, a);
  const bool whole_b = r.written[b] > 0 && r.written[b] == PartLength(r, b);
  return whole_a ? whole_b : (!whole_b && r.written[a] == r.written[b]);
}

std::optional<uint64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

std::string EncodeResume(const ResumeRecord& r) {
  std::string out = std::string(kMagic) + " " + r.etag + " " + std::to_string(r.size) + " " +
                    std::to_string(r.part_size) + " ";
  const size_t parts = r.written.size();
  size_t i = 0;
  while (i < parts) {
    size_t j = i + 1;
    while (j < parts && SameRun(r, i, j)) ++j;
    std::string token = (i ? "," : "") + RunToken(r, i, j - i);
    // Room for this run and a last run of parts not begun ("0*N").
    if (out.size() + token.size() + 24 > kMaxResumeRecordBytes && j < parts) {
      out += (i ? ",0*" : "0*") + std::to_string(parts - i);
      return out;
    }
    out += token;
    i = j;
  }
  return out;
}

std::optional<ResumeRecord> DecodeResume(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string magic, parts;
  ResumeRecord r;
  if (!(in >> magic >> r.etag >> r.size >> r.part_size >> parts) ||
      (magic != kMagic && magic != kMagicV1) || r.part_size == 0) {
    return std::nullopt;
  }
  const uint64_t want = r.size / r.part_size + (r.size % r.part_size != 0);
  // S3's largest object (5 TiB) in gwsync's smallest ranges (1 MiB) is
  // 5 Mi parts: a record claiming more is not ours.
  if (want > (uint64_t{8} << 20)) return std::nullopt;
  const bool runs = magic == kMagic;
  std::istringstream list(parts);
  for (std::string token; std::getline(list, token, ',');) {
    std::string_view t = token;
    uint64_t count = 1;
    if (auto star = t.find('*'); runs && star != std::string_view::npos) {
      auto n = Number(t.substr(star + 1));
      if (!n || *n == 0 || *n > want - r.written.size()) return std::nullopt;
      count = *n;
      t = t.substr(0, star);
    }
    if (r.written.size() + count > want) return std::nullopt;
    for (uint64_t k = 0; k < count; ++k) {
      const size_t part = r.written.size();
      if (runs && t == "f") {
        r.written.push_back(PartLength(r, part));
        continue;
      }
      auto v = Number(t);
      if (!v || *v > PartLength(r, part)) return std::nullopt;
      r.written.push_back(*v);
    }
  }
  if (r.written.size() != want) return std::nullopt;
  return r;
}

std::optional<ResumeRecord> ReadResume(int fd) {
  char buf[kMaxResumeRecordBytes * 4];
  ssize_t n = fgetxattr(fd, fileio::kResumeXattr, buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  return DecodeResume(std::string_view(buf, static_cast<size_t>(n)));
}

bool WriteResume(int fd, const ResumeRecord& record) {
  std::string v = EncodeResume(record);
  return fsetxattr(fd, fileio::kResumeXattr, v.data(), v.size(), 0) == 0;
}

void ClearResume(int fd) { fremovexattr(fd, fileio::kResumeXattr); }

std::unique_ptr<fileio::TempFile> AdoptPartial(const fileio::TempFile& fresh,
                                               const std::string& etag, uint64_t size,
                                               uint64_t part_size, ResumeRecord* record) {
  std::string stem = fileio::TempStem(fresh.name());
  // Our own descriptor of the folder for the scan (closedir closes it).
  int dir_fd = fcntl(fresh.dir()->get(), F_DUPFD_CLOEXEC, 0);
  if (dir_fd < 0) return nullptr;
  DIR* d = fdopendir(dir_fd);
  if (d == nullptr) {
    close(dir_fd);
    return nullptr;
  }
  rewinddir(d);
  std::unique_ptr<fileio::TempFile> adopted;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() != stem.size() + 6 || !name.starts_with(stem)) continue;
    std::string_view suffix = name.substr(stem.size());
    if (!std::all_of(suffix.begin(), suffix.end(), IsAlnum)) continue;
    int fd = openat(dir_fd, e->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat st {};
    // A writer still alive holds the lock (the fresh file too): never touch
    // its file.
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      continue;
    }
    auto r = ReadResume(fd);
    if (!adopted && r && r->etag == etag && r->size == size && r->part_size == part_size) {
      *record = std::move(*r);
      adopted =
          fileio::TempFile::Adopt(fd, fresh.dir(), std::string(name), fresh.name(), fresh.path());
      continue;
    }
    // Another version of the object, or a second leftover: of no use.
    unlinkat(dir_fd, e->d_name, 0);
    close(fd);
  }
  closedir(d);
  return adopted;
}

void ResumeTracker::Wrote(size_t part, uint64_t bytes) {
  std::lock_guard lock(mu_);
  if (part >= record_.written.size()) return;
  record_.written[part] += bytes;
  uint64_t len = std::min(record_.part_size, record_.size - part * record_.part_size);
  if (record_.written[part] - saved_[part] >= kSaveEvery || record_.written[part] == len) {
    saved_[part] = record_.written[part];
    WriteResume(fd_, record_);
  }
}

void ResumeTracker::Reset(size_t part, uint64_t to) {
  std::lock_guard lock(mu_);
  if (part >= record_.written.size()) return;
  record_.written[part] = to;
  saved_[part] = std::min(saved_[part], to);
  WriteResume(fd_, record_);
}

void ResumeTracker::Save() {
  std::lock_guard lock(mu_);
  saved_ = record_.written;
  WriteResume(fd_, record_);
}

Status TrackingSink::Write(std::string_view data) {
  RETURN_IF_ERROR(inner_->Write(data));
  written_ += data.size();
  tracker_->Wrote(part_, data.size());
  return Status::Ok();
}

bool TrackingSink::Restart() {
  if (!inner_->Restart()) return false;
  written_ = 0;
  tracker_->Reset(part_, base_);
  return true;
}

}  // namespace gwsync::transfer
