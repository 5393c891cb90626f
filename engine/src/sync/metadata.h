// File attributes carried in an object's x-amz-meta-* headers. gwsync writes
// rclone's conventions (mtime as decimal seconds, mode in octal, uid, gid) so
// either tool restores the other's backups, and reads s3cmd's
// "s3cmd-attrs" too. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/client.h"

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

// What an object keeps besides its bytes and a file's attributes, which a
// folder has no place for: its Content-Type (but the gateways' default,
// binary/octet-stream), Cache-Control, Content-Disposition,
// Content-Encoding, Content-Language and Expires, its x-amz-meta-* (but the
// part layout, which each upload records anew) and its tags. A folder
// backup keeps them in the file's user.gwsync.headers attribute and in the
// run manifest; an upload of the file as it was written sends them again.
struct KeptHeaders {
  std::string content_type;
  s3::ContentHeaders content;
  std::map<std::string, std::string> metadata;
  std::vector<std::pair<std::string, std::string>> tags;
  bool empty() const;
};

// The extended attribute of a downloaded file that holds them.
inline constexpr char kHeadersXattr[] = "user.gwsync.headers";

KeptHeaders KeepFrom(const s3::ObjectHead& head,
                     std::vector<std::pair<std::string, std::string>> tags);

// A JSON object: {"content-type": ..., "cache-control": ..., ...,
// "metadata": {NAME: VALUE}, "tags": {KEY: VALUE}}, only what is set.
std::string EncodeKept(const KeptHeaders& kept);
// Nothing when `text` is not such an object.
std::optional<KeptHeaders> DecodeKept(std::string_view text);

// The attribute's value: the headers and the file they were written with
// (size and modification time), so that a file changed since sends its own.
// With the ETag of the object the file was written from, and the xxh3-128
// (hex) of the bytes written, where known.
std::string EncodeKeptAttr(const KeptHeaders& kept, uint64_t size, int64_t mtime_ns,
                           std::string_view etag = {}, std::string_view xxh3 = {});
// The headers, when `text` is such a value and the file still has `size`
// and `mtime_ns`.
std::optional<KeptHeaders> DecodeKeptAttr(std::string_view text, uint64_t size, int64_t mtime_ns);
// The ETag and xxh3 such a value records, when the file still has `size`
// and `mtime_ns`; empty otherwise (a run manifest written without the
// index takes the file's digests from here, so that verify --content can
// check it).
struct KeptDigests {
  std::string etag, xxh3;
};
KeptDigests KeptAttrDigests(std::string_view text, uint64_t size, int64_t mtime_ns);

// Sets what an upload sends besides the bytes to the kept headers, metadata
// and tags: the object as it was (the file's attributes came from them).
void ApplyKept(const KeptHeaders& kept, std::string* content_type, s3::ContentHeaders* content,
               std::map<std::string, std::string>* metadata, std::string* tagging);

}  // namespace gwsync::sync
