// File attributes carried in an object's x-amz-meta-* headers. gwsync writes
// rclone's conventions (mtime as decimal seconds, mode in octal, uid, gid) so
// either tool restores the other's backups, and reads s3cmd's
// "s3cmd-attrs" too. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace gwsync::sync {

struct FileAttrs {
  std::optional<int64_t> mtime_ns;
  std::optional<uint32_t> mode;  // permission bits (07777)
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

// Metadata names (without "x-amz-meta-") and values for an upload: rclone's
// keys and s3cmd's "s3cmd-attrs", so both tools restore times and modes.
std::map<std::string, std::string> EncodeAttrs(int64_t mtime_ns, uint32_t mode, uint32_t uid,
                                               uint32_t gid);

// Reads gwsync's/rclone's keys first, then s3cmd's attrs. `metadata` names
// are lower-case without the "x-amz-meta-" prefix. A value out of range (a
// time before 1900 or from 2200 on, a mode with more than 07777, a uid or
// gid of -1, a negative or too large number) is left out, as if absent.
FileAttrs DecodeAttrs(const std::map<std::string, std::string>& metadata);

// "Tue, 21 Nov 2026 19:43:59 GMT" -> nanoseconds since the epoch; nothing
// outside 1900 to 2200.
std::optional<int64_t> ParseHttpDate(const std::string& text);

}  // namespace gwsync::sync
