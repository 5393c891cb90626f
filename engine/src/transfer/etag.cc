#include "transfer/etag.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "fileio/files.h"
#include "transfer/object_transfer.h"

namespace gwsync::transfer {

uint64_t PartLayout::PartSize(uint64_t number) const {
  if (doubling <= 0 || size == 0) return size;
  uint64_t s = size;
  const uint64_t cap = std::max(size, kMaxPart);
  for (uint64_t g = (number - 1) / static_cast<uint64_t>(doubling); g > 0 && s < cap; --g) s *= 2;
  return std::min(s, cap);
}

uint64_t PartLayout::Offset(uint64_t number) const {
  if (doubling <= 0) return (number - 1) * size;
  const auto per = static_cast<uint64_t>(doubling);
  uint64_t offset = 0;
  for (uint64_t first = 1; first < number; first += per) {
    offset += std::min(per, number - first) * PartSize(first);
  }
  return offset;
}

uint64_t PartLayout::Count(uint64_t total) const {
  if (size == 0 || total == 0) return 1;
  if (doubling <= 0) return (total + size - 1) / size;
  const auto per = static_cast<uint64_t>(doubling);
  uint64_t parts = 0, covered = 0;
  for (;;) {
    const uint64_t len = PartSize(parts + 1);
    const uint64_t need = (total - covered + len - 1) / len;
    if (need <= per) return parts + need;
    covered += per * len;
    parts += per;
  }
}

void MultipartHasher::Update(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), part_len_ - in_part_));
    part_.Update(chunk.substr(0, take));
    chunk.remove_prefix(take);
    in_part_ += take;
    if (in_part_ == part_len_) {
      parts_.push_back(part_.Finish());  // Finish starts afresh
      in_part_ = 0;
      part_len_ = layout_.PartSize(parts_.size() + 1);
    }
  }
}

std::string MultipartHasher::Finish() {
  if (in_part_ > 0 || parts_.empty()) parts_.push_back(part_.Finish());
  return MultipartEtag(parts_);
}

uint64_t EtagParts(std::string_view etag) {
  size_t dash = etag.rfind('-');
  if (dash != 32 || !EtagIsMd5(etag.substr(0, dash)) || dash + 1 == etag.size()) return 0;
  uint64_t n = 0;
  for (size_t i = dash + 1; i < etag.size(); ++i) {
    if (etag[i] < '0' || etag[i] > '9' || n > 100000) return 0;
    n = n * 10 + static_cast<uint64_t>(etag[i] - '0');
  }
  return n;
}

std::vector<uint64_t> PartSizeCandidates(uint64_t size, uint64_t parts, uint64_t hint) {
  const uint64_t mib = 1 << 20;
  std::vector<uint64_t> out;
  if (parts == 0) return out;
  if (parts == 1) return {std::max<uint64_t>(size, 1)};  // any size >= the object's: one part
  std::vector<uint64_t> tries = {hint,
                                 PartSizeFor(size, hint),
                                 5 * mib,
                                 8 * mib,
                                 15 * mib,
                                 16 * mib,
                                 32 * mib,
                                 50 * mib,
                                 64 * mib,
                                 100 * mib,
                                 128 * mib,
                                 256 * mib,
                                 512 * mib,
                                 1024 * mib,
                                 ((size + parts - 1) / parts + mib - 1) / mib * mib};
  for (uint64_t p : tries) {
    if (p == 0) continue;
    bool fits = (size + p - 1) / p == parts;  // the last part is not empty
    if (fits && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kVerified:
      return "verified";
    case Verdict::kDifferent:
      return "different";
    case Verdict::kUnverifiable:
      return "unverifiable";
  }
  return "?";
}

ContentCheck::ContentCheck(std::string etag, uint64_t size, std::optional<PartLayout> recorded,
                           uint64_t hint, std::string known_xxh3)
    : etag_(std::move(etag)),
      size_(size),
      known_xxh3_(std::move(known_xxh3)),
      plain_(known_xxh3_.empty() && EtagIsMd5(etag_)) {
  if (plain_ || !known_xxh3_.empty()) return;
  const uint64_t parts = EtagParts(etag_);
  if (parts == 0) return;  // of no known form
  if (recorded && recorded->size > 0) {
    recorded_ = true;
    if (recorded->Count(size) != parts) {
      impossible_ = "the object records parts of " + std::to_string(recorded->size) +
                    " bytes, which cut " + std::to_string(size) + " bytes into " +
                    std::to_string(recorded->Count(size)) + " parts, not the " +
                    std::to_string(parts) + " of its ETag " + etag_;
      return;
    }
    hashers_.emplace_back(*recorded);
    return;
  }
  for (uint64_t p : PartSizeCandidates(size, parts, hint)) hashers_.emplace_back(p);
}

void ContentCheck::Update(std::string_view chunk) {
  fed_ += chunk.size();
  xxh3_.Update(chunk);
  if (plain_) whole_.Update(chunk);
  for (auto& h : hashers_) h.Update(chunk);
}

CheckResult ContentCheck::Finish() {
  CheckResult r = Judge();
  r.xxh3 = xxh3_.FinishHex();
  if (!known_xxh3_.empty() && r.verdict == Verdict::kUnverifiable) {
    r = r.xxh3 == known_xxh3_
            ? CheckResult{Verdict::kVerified, "", r.xxh3}
            : CheckResult{Verdict::kDifferent,
                          "content xxh3 " + r.xxh3 + " does not match the recorded " + known_xxh3_,
                          r.xxh3};
  }
  return r;
}

// The verdict of the ETag (or of the size alone, with a recorded xxh3,
// which Finish then judges: unverifiable here).
CheckResult ContentCheck::Judge() {
  if (fed_ != size_) {
    return {Verdict::kDifferent, "the content has " + std::to_string(fed_) + " bytes, the object " +
                                     std::to_string(size_)};
  }
  if (!known_xxh3_.empty()) return {};
  if (plain_) {
    std::string md5 = hash::Hex(whole_.Finish());
    if (md5 == etag_) return {Verdict::kVerified, ""};
    return {Verdict::kDifferent, "content MD5 " + md5 + " does not match the ETag " + etag_};
  }
  if (!impossible_.empty()) return {Verdict::kDifferent, impossible_};
  if (recorded_) {
    std::string got = hashers_.front().Finish();
    if (got == etag_) return {Verdict::kVerified, ""};
    return {Verdict::kDifferent, "the content's multipart ETag at its recorded part size is " +
                                     got + ", the object's " + etag_};
  }
  if (EtagParts(etag_) == 0) {
    return {Verdict::kUnverifiable, "its ETag '" + etag_.substr(0, 64) +
                                        "' is neither an MD5 nor a multipart ETag (SSE-C, or a "
                                        "gateway's own): content not checked"};
  }
  for (auto& h : hashers_) {
    if (h.Finish() == etag_) return {Verdict::kVerified, ""};
  }
  return {Verdict::kUnverifiable, "no part size reproduces its multipart ETag " + etag_ +
                                      " (uploaded by another tool?): content not checked"};
}

StatusOr<CheckResult> CheckFd(int fd, uint64_t size, std::string_view etag,
                              std::optional<PartLayout> recorded, uint64_t hint,
                              std::string_view known_xxh3) {
  ContentCheck check(std::string(etag), size, recorded, hint, std::string(known_xxh3));
  std::string buf(1 << 20, '\0');
  for (uint64_t offset = 0; offset < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - offset));
    ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fileio::ErrnoStatus("cannot read the file", errno);
    if (n == 0) break;  // shorter than the object: Finish says so
    check.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    offset += static_cast<uint64_t>(n);
  }
  return check.Finish();
}

StatusOr<CheckResult> CheckFile(const std::string& path, uint64_t size, std::string_view etag,
                                std::optional<PartLayout> recorded, uint64_t hint,
                                std::string_view known_xxh3) {
  // Non-blocking: a FIFO put in a file's place is refused, not waited on.
  fileio::Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) return fileio::ErrnoStatus("cannot read '" + path + "'", errno);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot read '" + path + "': not a regular file");
  }
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  auto check = CheckFd(fd.get(), size, etag, recorded, hint, known_xxh3);
  if (!check.ok()) return check.status().Annotate(path);
  return check;
}

}  // namespace gwsync::transfer
