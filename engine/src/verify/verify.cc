#include "verify/verify.h"

#include <tbb/parallel_pipeline.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "fileio/errno_status.h"
#include "scan/local_walker.h"
#include "transfer/etag.h"
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync::verify {
namespace {

// One side's position in its stream.
struct Cursor {
  Cursor(Side* s, VerifyReport* r) : side(s), report(r) {}
  Side* side;
  VerifyReport* report;
  sides::ListBatch batch;
  size_t pos = 0;
  bool ended = false;
  std::string last;
  uint64_t count = 0;

  // Points at an entry, pulling batches; false when the side is over.
  bool Fill() {
    while (!ended && pos >= batch.entries.size()) {
      pos = 0;
      if (!side->stream->Next(&batch)) {
        ended = true;
        break;
      }
      for (auto& p : batch.problems) report->problems.push_back(std::move(p));
    }
    return !ended;
  }
  const plan::Entry& Peek() const { return batch.entries[pos]; }
  plan::Entry Take() {
    plan::Entry e = std::move(batch.entries[pos++]);
    count++;
    if (count > 1 && e.key <= last) {
      report->problems.push_back(
          {side->name, DataLoss("keys out of order at '" + e.key + "'"), true});
    }
    last = e.key;
    return e;
  }
};

// ETags that can be compared: two MD5s, or two multipart ETags of the same
// number of parts (the part sizes may still differ; then they differ too,
// which a copy with other part sizes shows: not compared).
bool Comparable(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  if (transfer::EtagIsMd5(a) && transfer::EtagIsMd5(b)) return true;
  uint64_t pa = transfer::EtagParts(a), pb = transfer::EtagParts(b);
  return pa > 0 && pa == pb;
}

// A file to read and check against an ETag of the other side.
struct ContentJob {
  std::string key, path, etag;
  std::string xxh3;  // recorded by a manifest: checked instead of the ETag
  uint64_t size = 0;
  const Side* etag_side = nullptr;
  std::optional<transfer::PartLayout> layout;  // as a manifest records it
};

class Verifier {
 public:
  Verifier(Side src, Side dst, const VerifyOptions& options)
      : src_(std::move(src)), dst_(std::move(dst)), options_(options) {}

  // The merge runs as the pipeline's serial first stage; the content checks
  // it asks for run in parallel on the engine's arena (util/workers.h), at
  // most `parallel` files at once.
  VerifyReport Run() {
    Cursor s(&src_, &report_), d(&dst_, &report_);
    auto next = [&](ContentJob* job) {
      for (;;) {
        bool hs = s.Fill(), hd = d.Fill();
        if (!hs && !hd) return false;
        int cmp = !hs ? 1 : !hd ? -1 : s.Peek().key.compare(d.Peek().key);
        if (cmp != 0) {
          const bool in_src = cmp < 0;
          plan::Entry e = in_src ? s.Take() : d.Take();
          if ((in_src ? src_ : dst_).bucket && plan::IsOwnManifestKey(e.key)) {
            std::lock_guard lock(mu_);
            report_.own_manifests++;  // a --manifest-bucket run's own, not a key of the copy
            continue;
          }
          Differ({in_src ? DifferenceKind::kMissing : DifferenceKind::kExtra, e.key, ""});
        } else if (Compare(s.Take(), d.Take(), job)) {
          return true;
        }
      }
    };
    util::CpuArena().execute([&] {
      using JobPtr = std::shared_ptr<ContentJob>;
      tbb::parallel_pipeline(
          static_cast<size_t>(Parallel()),
          tbb::make_filter<void, JobPtr>(tbb::filter_mode::serial_in_order,
                                         [&](tbb::flow_control& fc) {
                                           auto job = std::make_shared<ContentJob>();
                                           if (!next(job.get())) {
                                             fc.stop();
                                             return JobPtr();
                                           }
                                           return job;
                                         }) &
              tbb::make_filter<JobPtr, void>(tbb::filter_mode::parallel,
                                             [&](const JobPtr& job) { Check(*job); }));
    });
    std::lock_guard lock(mu_);
    report_.source_objects = s.count;
    report_.destination_objects = d.count;
    std::sort(report_.differences.begin(), report_.differences.end(),
              [](const Difference& a, const Difference& b) { return a.key < b.key; });
    return std::move(report_);
  }

 private:
  int Parallel() const { return std::max(1, options_.parallel); }

  void Differ(Difference d) {
    std::lock_guard lock(mu_);
    if (options_.on_difference) options_.on_difference(d);
    report_.Add(std::move(d));
  }

  void Match(uint64_t size, bool content, bool by_xxh3 = false) {
    std::lock_guard lock(mu_);
    report_.matched++;
    report_.matched_bytes += size;
    if (content) report_.contents_read++;
    if (by_xxh3) report_.contents_by_xxh3++;
  }

  // Judges a key on both sides; true when its content is to be read (`job`).
  bool Compare(const plan::Entry& a, const plan::Entry& b, ContentJob* job) {
    if (a.size != b.size) {
      Differ({DifferenceKind::kDifferent, a.key,
              "size " + std::to_string(b.size) + ", expected " + std::to_string(a.size)});
      return false;
    }
    if (Comparable(a.etag, b.etag)) {
      std::lock_guard lock(mu_);
      report_.etags_compared++;
    }
    if (Comparable(a.etag, b.etag) && a.etag != b.etag) {
      Differ({DifferenceKind::kDifferent, a.key, "ETag " + b.etag + ", expected " + a.etag});
      return false;
    }
    if (a.unverified || b.unverified) {
      // The sync that wrote it could not prove its content: no match to claim.
      Differ({DifferenceKind::kUnverified, a.key,
              "the run manifest records the copy as unverified (its content was never proven)"});
      return false;
    }
    if (a.mtime_ns != 0 && b.mtime_ns != 0 && a.mtime_ns != b.mtime_ns) {
      Differ({DifferenceKind::kDifferent, a.key, "modified since (mtime differs)"});
      return false;
    }
    if (options_.content) {
      // A folder side's file against the other side's ETag.
      const Side* folder = !dst_.local_root.empty()   ? &dst_
                           : !src_.local_root.empty() ? &src_
                                                      : nullptr;
      const plan::Entry& object = folder == &dst_ ? a : b;
      if (folder && (!object.etag.empty() || !object.xxh3.empty())) {
        std::optional<transfer::PartLayout> layout;
        if (object.part_size > 0) {
          layout = transfer::PartLayout{object.part_size, static_cast<int>(object.part_doubling)};
        }
        const plan::Entry& file = folder == &dst_ ? b : a;
        std::string path = folder->local_root + "/" + (file.path.empty() ? file.key : file.path);
        if (file.link) {  // KEY is NAME.rclonelink, the link NAME
          path.resize(path.size() - scan::kLinkSuffix.size());
          Judge(a.key, a.size, CheckLink(path, a.size, object.etag, layout));
          return false;
        }
        *job = {a.key,       std::move(path), object.etag,
                object.xxh3, a.size,          folder == &dst_ ? &src_ : &dst_,
                layout};
        return true;
      }
      std::lock_guard lock(mu_);
      report_.unchecked++;
    }
    Match(a.size, false);
    return false;
  }

  // On the arena: the one check of a file against an ETag (etag.h), with
  // the part layout the object records where the other side can tell.
  void Check(const ContentJob& job) {
    std::optional<transfer::PartLayout> layout = job.layout;
    if (job.xxh3.empty() && !layout && transfer::EtagParts(job.etag) > 0 &&
        job.etag_side->layout_of) {
      layout = job.etag_side->layout_of(job.key);
    }
    Judge(job.key, job.size,
          transfer::CheckFile(job.path, job.size, job.etag, layout, options_.part_size, job.xxh3),
          !job.xxh3.empty());
  }

  // A link stored as NAME.rclonelink (sync --links): the object's bytes are
  // the link's target, read here, never the file it leads to.
  StatusOr<transfer::CheckResult> CheckLink(const std::string& path, uint64_t size,
                                            const std::string& etag,
                                            std::optional<transfer::PartLayout> layout) {
    std::string target(size + 1, '\0');
    ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return fileio::ErrnoStatus("'" + path + "'", errno);
    transfer::ContentCheck check(etag, size, layout, options_.part_size);
    check.Update(std::string_view(target.data(), static_cast<size_t>(n)));
    return check.Finish();
  }

  void Judge(const std::string& key, uint64_t size, const StatusOr<transfer::CheckResult>& check,
             bool by_xxh3 = false) {
    if (!check.ok()) {
      Differ({DifferenceKind::kDifferent, key,
              "cannot check the content: " + check.status().message()});
    } else if (check->verdict == transfer::Verdict::kDifferent) {
      Differ({DifferenceKind::kDifferent, key, "content differs: " + check->why});
    } else if (check->verdict == transfer::Verdict::kUnverifiable) {
      Differ({DifferenceKind::kUnverified, key, check->why});
    } else {
      Match(size, true, by_xxh3);
    }
  }

  Side src_, dst_;
  const VerifyOptions& options_;
  std::mutex mu_;  // report_ and on_difference
  VerifyReport report_;
};

}  // namespace

void VerifyReport::Add(Difference d) {
  switch (d.kind) {
    case DifferenceKind::kMissing:
      missing++;
      break;
    case DifferenceKind::kExtra:
      extra++;
      break;
    case DifferenceKind::kDifferent:
      different++;
      break;
    case DifferenceKind::kUnverified:
      unverified++;
      break;
  }
  if (differences.size() < kMaxKept) differences.push_back(std::move(d));
}

void VerifyReport::Merge(VerifyReport more, const std::string& prefix) {
  source_objects += more.source_objects;
  destination_objects += more.destination_objects;
  matched += more.matched;
  matched_bytes += more.matched_bytes;
  missing += more.missing;
  extra += more.extra;
  different += more.different;
  etags_compared += more.etags_compared;
  contents_read += more.contents_read;
  contents_by_xxh3 += more.contents_by_xxh3;
  unchecked += more.unchecked;
  unverified += more.unverified;
  own_manifests += more.own_manifests;
  versions += more.versions;
  for (auto& d : more.differences) {
    if (differences.size() >= kMaxKept) break;
    d.key = prefix + d.key;
    differences.push_back(std::move(d));
  }
  for (auto& p : more.problems) problems.push_back(std::move(p));
}

std::string_view DifferenceName(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::kMissing:
      return "missing";
    case DifferenceKind::kExtra:
      return "extra";
    case DifferenceKind::kDifferent:
      return "different";
    case DifferenceKind::kUnverified:
      return "unverified";
  }
  return "?";
}

VerifyReport Verify(Side src, Side dst, const VerifyOptions& options) {
  return Verifier(std::move(src), std::move(dst), options).Run();
}

}  // namespace gwsync::verify
