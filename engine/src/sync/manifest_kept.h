// The headers a backup folder's latest run manifest keeps for its files,
// for a restore from a file system without user attributes (where a file
// has no user.gwsync.headers of its own). Looked up in key order, as the
// planner meets the keys: the manifest is read as a stream, one record
// held. Planner thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "manifest/manifest.h"
#include "sync/metadata.h"

namespace gwsync::sync {

class ManifestKept {
 public:
  // Null when `folder` has no manifest-latest, or it cannot be read.
  static std::unique_ptr<ManifestKept> Open(const std::string& folder);

  // What the manifest keeps for `key`, when its record is of a file of
  // this size and modification time (the file as the backup wrote it).
  // Keys must come in ascending order.
  std::optional<KeptHeaders> Find(const std::string& key, uint64_t size, int64_t mtime_ns);

 private:
  explicit ManifestKept(std::unique_ptr<manifest::Reader> reader) : reader_(std::move(reader)) {}
  bool Advance();

  std::unique_ptr<manifest::Reader> reader_;
  manifest::Record current_;
  bool have_ = false;
  bool done_ = false;
};

}  // namespace gwsync::sync
