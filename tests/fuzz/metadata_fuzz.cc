// The x-amz-meta-* attribute headers (sync/metadata.h), as a gateway returns
// them: "name: value" lines, one per header, without the prefix. Decoding
// must not crash or overflow (mtimes are decimal seconds from anyone's
// tool), and what EncodeAttrs writes must decode to what it was given;
// the headers a file keeps (DecodeKept) must not crash and must round-trip.
#include <cstring>
#include <map>
#include <string>

#include "fuzz_check.h"
#include "sync/metadata.h"

namespace gs = gwsync::sync;  // not `sync`: unistd.h has sync()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gwsync::fuzz::Fields fields(data, size);
  std::map<std::string, std::string> metadata;
  while (!fields.empty()) {
    std::string_view line = fields.Next();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    metadata[std::string(line.substr(0, colon))] = std::string(value);
  }
  gs::FileAttrs attrs = gs::DecodeAttrs(metadata);
  FUZZ_CHECK(!attrs.mode || *attrs.mode <= 07777);
  (void)gs::ParseHttpDate(std::string(reinterpret_cast<const char*>(data), size));
  // A file's user.gwsync.headers, which anyone who can write the file sets.
  std::string_view whole(reinterpret_cast<const char*>(data), size);
  if (auto kept = gs::DecodeKept(whole)) {
    auto again = gs::DecodeKept(gs::EncodeKept(*kept));
    FUZZ_CHECK(again && again->metadata == kept->metadata);
  }
  (void)gs::DecodeKeptAttr(whole, 0, 0);

  // The first 20 bytes, when there are that many, as values to round-trip.
  if (size >= 20) {
    int64_t mtime_ns;
    uint32_t mode, uid, gid;
    std::memcpy(&mtime_ns, data, 8);
    std::memcpy(&mode, data + 8, 4);
    std::memcpy(&uid, data + 12, 4);
    std::memcpy(&gid, data + 16, 4);
    gs::FileAttrs back = gs::DecodeAttrs(gs::EncodeAttrs(mtime_ns, mode, uid, gid));
    // Times a file may plausibly carry (1900 to 2200) come back; others are
    // dropped, never wrapped. A uid or gid of -1 means "none" to chown.
    constexpr int64_t kMin = -2208988800LL * 1000000000, kMax = 7258118400LL * 1000000000;
    bool plausible = mtime_ns >= kMin && mtime_ns < kMax;
    // (Just outside, s3cmd's whole-second copy may still be in range: within a second.)
    FUZZ_CHECK(plausible ? back.mtime_ns && *back.mtime_ns == mtime_ns
                         : !back.mtime_ns || (*back.mtime_ns - mtime_ns < 1000000000 &&
                                              mtime_ns - *back.mtime_ns < 1000000000));
    FUZZ_CHECK(back.mode && *back.mode == (mode & 07777));
    FUZZ_CHECK(uid == UINT32_MAX ? !back.uid : back.uid && *back.uid == uid);
    FUZZ_CHECK(gid == UINT32_MAX ? !back.gid : back.gid && *back.gid == gid);
  }
  return 0;
}
