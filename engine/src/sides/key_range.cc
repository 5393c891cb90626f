#include "sides/key_range.h"

#include <cstdlib>

namespace gwsync::sides {

KeyRange KeyRange::WithPrefix(const std::string& prefix) const {
  KeyRange r;
  if (after) r.after = prefix + *after;
  if (through) r.through = prefix + *through;
  return r;
}

KeyRange ShareRange(const std::vector<std::string>& bounds, int index) {
  KeyRange r;
  if (index > 0) r.after = bounds[index - 1];
  if (index < static_cast<int>(bounds.size())) r.through = bounds[index];
  return r;
}

Status ValidateBounds(const std::vector<std::string>& bounds) {
  for (size_t i = 1; i < bounds.size(); ++i) {
    if (!(bounds[i - 1] < bounds[i])) {
      return InvalidArgument("split points must be strictly ascending: '" +
                             EncodeKey(bounds[i - 1]) + "' then '" + EncodeKey(bounds[i]) + "'");
    }
  }
  return Status::Ok();
}

std::string EncodeKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (c <= ' ' || c >= 0x7f || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

StatusOr<std::string> DecodeKey(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int hi = i + 1 < text.size() ? hex(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? hex(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return InvalidArgument("malformed %XX escape in '" + std::string(text) + "'");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

namespace {

StatusOr<int> EnvInt(const char* name, bool* present) {
  const char* v = std::getenv(name);
  *present = v && *v;
  if (!*present) return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > 1000000) {
    return InvalidArgument(std::string(name) + "='" + v + "' is not a count");
  }
  return static_cast<int>(n);
}

StatusOr<ShareSpec> FromEnvironment() {
  bool has_id = false, has_count = false, has_shard_count = false;
  ShareSpec s;
  // Set by whoever submits: a re-run of some tasks is a smaller array.
  ASSIGN_OR_RETURN(int shard_count, EnvInt("GWSYNC_SHARD_COUNT", &has_shard_count));
  ASSIGN_OR_RETURN(int id, EnvInt("SLURM_ARRAY_TASK_ID", &has_id));
  if (has_id) {
    ASSIGN_OR_RETURN(int count, EnvInt("SLURM_ARRAY_TASK_COUNT", &has_count));
    if (!has_count && !has_shard_count) {
      return InvalidArgument("--shard auto: SLURM_ARRAY_TASK_COUNT is not set");
    }
    s.index = id;
    s.count = has_shard_count ? shard_count : count;
  } else {
    ASSIGN_OR_RETURN(int index, EnvInt("JOB_COMPLETION_INDEX", &has_id));
    if (!has_id) {
      return InvalidArgument(
          "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm array) nor JOB_COMPLETION_INDEX (a "
          "Kubernetes Indexed Job) is set");
    }
    if (!has_shard_count) {
      return InvalidArgument(
          "--shard auto: JOB_COMPLETION_INDEX is set but GWSYNC_SHARD_COUNT is not (set it to "
          "the Job's completions)");
    }
    s.index = index;
    s.count = shard_count;
  }
  return s;
}

}  // namespace

StatusOr<ShareSpec> ParseShareSpec(const std::string& text) {
  ShareSpec s;
  if (text == "auto") {
    ASSIGN_OR_RETURN(s, FromEnvironment());
  } else {
    size_t slash = text.find('/');
    char *end1 = nullptr, *end2 = nullptr;
    std::string a = text.substr(0, slash);
    std::string b = slash == std::string::npos ? "" : text.substr(slash + 1);
    long i = std::strtol(a.c_str(), &end1, 10), n = std::strtol(b.c_str(), &end2, 10);
    if (slash == std::string::npos || a.empty() || b.empty() || *end1 || *end2 || n > 1000000) {
      return InvalidArgument("invalid --shard '" + text + "': expected I/N (0 <= I < N) or auto");
    }
    s.index = static_cast<int>(i);
    s.count = static_cast<int>(n);
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count) {
    return InvalidArgument("share " + std::to_string(s.index) + " of " + std::to_string(s.count) +
                           ": expected 0 <= I < N");
  }
  return s;
}

}  // namespace gwsync::sides
