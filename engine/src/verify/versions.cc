#include "verify/versions.h"

#include <sys/stat.h>

#include <algorithm>

#include "manifest/manifest.h"
#include "session/version_listing.h"
#include "transfer/etag.h"
#include "transfer/object_transfer.h"

namespace gwsync::verify {
namespace {

// One version as both sides can tell it.
struct Seen {
  bool marker = false;
  uint64_t size = 0;
  std::string etag;
};

class Checker {
 public:
  Checker(const VerifyOptions& options, bool manifest_is_source)
      : options_(options), manifest_is_source_(manifest_is_source) {}

  void Differ(DifferenceKind kind, std::string key, std::string why) {
    Difference d{kind, std::move(key), std::move(why)};
    if (options_.on_difference) options_.on_difference(d);
    report_.Add(std::move(d));
  }

  // A version the manifest has and the target lacks, or the other way.
  DifferenceKind Lacking(bool in_manifest) const {
    return in_manifest == manifest_is_source_ ? DifferenceKind::kMissing : DifferenceKind::kExtra;
  }

  void Matched(uint64_t size) {
    report_.matched++;
    report_.matched_bytes += size;
    report_.versions++;
  }

  // A record's file in the backup folder.
  void File(const std::string& root, const manifest::Record& r) {
    const std::string name = r.key + " (version " + std::to_string(r.version) + ")";
    const std::string file = root + "/" + r.path;
    struct stat st {};
    if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Differ(Lacking(true), name, "no file " + r.path);
    }
    if (static_cast<uint64_t>(st.st_size) != r.size) {
      return Differ(DifferenceKind::kDifferent, name,
                    "size " + std::to_string(st.st_size) + ", expected " + std::to_string(r.size));
    }
    if (options_.content && (!r.etag.empty() || !r.xxh3.empty())) {
      std::optional<transfer::PartLayout> layout;
      if (r.part_size)
        layout = transfer::PartLayout{r.part_size, static_cast<int>(r.part_doubling)};
      auto check = transfer::CheckFile(file, r.size, r.etag, layout, options_.part_size, r.xxh3);
      report_.contents_read++;
      if (!r.xxh3.empty()) report_.contents_by_xxh3++;
      if (!check.ok()) {
        return Differ(DifferenceKind::kDifferent, name,
                      "cannot check the content: " + check.status().message());
      }
      if (check->verdict == transfer::Verdict::kDifferent) {
        return Differ(DifferenceKind::kDifferent, name, "content differs: " + check->why);
      }
      if (check->verdict == transfer::Verdict::kUnverifiable) {
        return Differ(DifferenceKind::kUnverified, name, check->why);
      }
    } else if (r.unverified) {
      return Differ(DifferenceKind::kUnverified, name,
                    "the run manifest records the copy as unverified");
    }
    Matched(r.size);
  }

  // One key's history on both sides, oldest first.
  void Key(const std::string& key, const std::vector<Seen>& manifest,
           const std::vector<Seen>& bucket) {
    const auto& ref = manifest_is_source_ ? manifest : bucket;
    const auto& copy = manifest_is_source_ ? bucket : manifest;
    if (ref.size() != copy.size()) {
      Differ(DifferenceKind::kDifferent, key,
             std::to_string(copy.size()) + " versions, expected " + std::to_string(ref.size()));
    }
    for (size_t i = 0; i < std::min(ref.size(), copy.size()); ++i) {
      const Seen& a = ref[i];
      const Seen& b = copy[i];
      const std::string name = key + " (version " + std::to_string(i + 1) + ")";
      auto what = [](const Seen& s) { return s.marker ? "a delete marker" : "an object"; };
      if (a.marker != b.marker) {
        Differ(DifferenceKind::kDifferent, name, std::string(what(b)) + ", expected " + what(a));
      } else if (a.size != b.size) {
        Differ(DifferenceKind::kDifferent, name,
               "size " + std::to_string(b.size) + ", expected " + std::to_string(a.size));
      } else if (transfer::EtagIsMd5(a.etag) && transfer::EtagIsMd5(b.etag) && a.etag != b.etag) {
        Differ(DifferenceKind::kDifferent, name, "ETag " + b.etag + ", expected " + a.etag);
      } else {
        if (!a.marker && a.etag == b.etag) report_.etags_compared++;
        Matched(a.size);
      }
    }
  }

  VerifyReport& report() { return report_; }

 private:
  const VerifyOptions& options_;
  const bool manifest_is_source_;
  VerifyReport report_;
};

}  // namespace

std::optional<std::string> AllVersionsManifest(const std::string& path) {
  auto resolved = manifest::ResolveManifestPath(path);
  if (!resolved.ok()) return std::nullopt;
  auto reader = manifest::Reader::Open(*resolved);
  if (!reader.ok() || !(*reader)->header().all_versions) return std::nullopt;
  return *resolved;
}

// NOLINTNEXTLINE(readability-function-size): one walk; its cursors serve every check
VerifyReport VerifyVersions(const std::string& manifest_path, const VersionsTarget& target,
                            bool manifest_is_source, const plan::Filter& filter,
                            const VerifyOptions& options) {
  Checker check(options, manifest_is_source);
  VerifyReport& report = check.report();
  auto reader = manifest::Reader::Open(manifest_path);
  if (!reader.ok()) {
    report.problems.push_back({manifest_path, reader.status(), true});
    return std::move(report);
  }
  std::optional<session::VersionLister> lister;
  if (target.client) lister.emplace(*target.client, target.bucket, target.prefix);
  session::KeyVersions listed;
  bool listed_valid = false, listing_over = !lister;
  // The bucket's next key (skipping what the filter leaves out).
  auto pull = [&] {
    while (!listing_over) {
      auto more = lister->Next(&listed);
      if (!more.ok()) {
        report.problems.push_back({"s3://" + target.bucket + "/" + target.prefix, more.status()});
        listing_over = true;
      } else if (!*more) {
        listing_over = true;
      } else if (filter.Allows(listed.key)) {
        listed_valid = true;
        return;
      }
    }
    listed_valid = false;
  };
  auto seen_of = [](const session::KeyVersions& k) {
    std::vector<Seen> out;
    for (auto it = k.versions.rbegin(); it != k.versions.rend(); ++it) {
      out.push_back({it->delete_marker, it->size, it->etag});
    }
    return out;
  };
  if (lister) pull();

  std::string key;
  std::vector<Seen> history;
  bool have_key = false;
  // The manifest's key `key` is complete: compared with the bucket's.
  auto settle = [&] {
    if (!have_key || !lister) return;
    while (listed_valid && listed.key < key) {
      check.Differ(check.Lacking(false), listed.key,
                   std::to_string(listed.versions.size()) + " versions");
      pull();
    }
    if (listed_valid && listed.key == key) {
      check.Key(key, history, seen_of(listed));
      pull();
    } else {
      check.Differ(check.Lacking(true), key, std::to_string(history.size()) + " versions");
    }
  };
  for (;;) {
    manifest::Record r;
    auto more = (*reader)->Next(&r);
    if (!more.ok()) {
      report.problems.push_back({manifest_path, more.status(), true});
      break;
    }
    if (!*more) break;
    if (r.version == 0 || !filter.Allows(r.key)) continue;
    if (!have_key || r.key != key) {
      settle();
      key = r.key;
      history.clear();
      have_key = true;
    }
    history.push_back({r.delete_marker, r.size, r.etag});
    // The tree's files are the ordinary verify's; the others are here.
    bool stored = r.path.starts_with(std::string(plan::kVersionStoreDir) + "/");
    if (!target.folder.empty() && !r.delete_marker && (stored || !r.current())) {
      check.File(target.folder, r);
    }
  }
  settle();
  while (listed_valid) {
    check.Differ(check.Lacking(false), listed.key,
                 std::to_string(listed.versions.size()) + " versions");
    pull();
  }
  return std::move(report);
}

void AddReport(VerifyReport more, VerifyReport* into) {
  into->missing += more.missing;
  into->extra += more.extra;
  into->different += more.different;
  into->etags_compared += more.etags_compared;
  into->contents_read += more.contents_read;
  into->contents_by_xxh3 += more.contents_by_xxh3;
  into->unverified += more.unverified;
  into->versions += more.versions;
  for (auto& d : more.differences) {
    if (into->differences.size() >= VerifyReport::kMaxKept) break;
    into->differences.push_back(std::move(d));
  }
  for (auto& p : more.problems) into->problems.push_back(std::move(p));
}

}  // namespace gwsync::verify
