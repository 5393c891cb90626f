#include "feed/event.h"

#include <nlohmann/json.hpp>

namespace gwsync::feed {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string StringAt(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t NumberAt(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer())
    return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
  return 0;
}

StatusOr<Event> ParseRecord(const nlohmann::json& r, size_t index) {
  auto bad = [index](const std::string& why) {
    return InvalidArgument("event record " + std::to_string(index) + ": " + why);
  };
  if (!r.is_object()) return bad("not an object");
  Event e;
  e.name = StringAt(r, "eventName");
  e.time = StringAt(r, "eventTime");
  // AWS writes "s3:ObjectCreated:Put"... as the configuration names them;
  // RGW and AWS's records alike say "ObjectCreated:Put".
  std::string_view name = e.name;
  if (name.starts_with("s3:")) name.remove_prefix(3);
  if (name.starts_with("ObjectRemoved:")) {
    e.removed = true;
  } else if (!name.starts_with("ObjectCreated:")) {
    return bad(e.name.empty() ? "no eventName" : "not an object event: '" + e.name + "'");
  }
  auto s3 = r.find("s3");
  if (s3 == r.end() || !s3->is_object()) return bad("no s3 section");
  auto bucket = s3->find("bucket");
  if (bucket != s3->end() && bucket->is_object()) e.bucket = StringAt(*bucket, "name");
  auto object = s3->find("object");
  if (object == s3->end() || !object->is_object()) return bad("no s3.object section");
  auto key = object->find("key");
  if (key == object->end() || !key->is_string() || key->get<std::string>().empty()) {
    return bad("no s3.object.key");
  }
  e.key = key->get<std::string>();
  e.size = NumberAt(*object, "size");
  e.etag = StringAt(*object, "eTag");
  if (e.etag.size() >= 2 && e.etag.front() == '"' && e.etag.back() == '"') {
    e.etag = e.etag.substr(1, e.etag.size() - 2);
  }
  e.version_id = StringAt(*object, "versionId");
  e.sequencer = ParseSequencer(StringAt(*object, "sequencer"));
  return e;
}

}  // namespace

uint64_t ParseSequencer(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return 0;
  for (char c : hex) {
    if (HexDigit(c) < 0) return 0;
  }
  if (hex.size() == 16) {
    // RGW 16: the bytes of a utime_t {uint32 sec; uint32 nsec} in memory
    // order (little-endian), each byte two digits.
    auto byte = [&hex](int i) {
      return static_cast<uint64_t>(HexDigit(hex[2 * i]) * 16 + HexDigit(hex[2 * i + 1]));
    };
    uint64_t sec = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
    uint64_t nsec = byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24;
    return sec * 1000000000ull + nsec;
  }
  uint64_t v = 0;
  for (char c : hex) v = v << 4 | static_cast<uint64_t>(HexDigit(c));
  return v;
}

StatusOr<std::vector<Event>> ParseEvents(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("not a JSON document");
  auto records = doc.is_object() ? doc.find("Records") : doc.end();
  if (records == doc.end() || !records->is_array()) {
    return InvalidArgument("no \"Records\" array: not an S3 event message");
  }
  std::vector<Event> out;
  out.reserve(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    ASSIGN_OR_RETURN(Event e, ParseRecord((*records)[i], i));
    out.push_back(std::move(e));
  }
  return out;
}

bool Later(const Event& a, const Event& b) {
  if (a.sequencer != b.sequencer) return b.sequencer > a.sequencer;
  return b.time > a.time;
}

void Coalescer::Add(Event event, uint64_t tag) {
  auto [it, inserted] = keys_.try_emplace(event.key);
  Entry& entry = it->second;
  entry.tags.push_back(tag);
  if (inserted || Later(entry.last, event)) entry.last = std::move(event);
}

std::vector<Coalescer::Entry> Coalescer::Take() {
  std::vector<Entry> out;
  out.reserve(keys_.size());
  for (auto& [key, entry] : keys_) out.push_back(std::move(entry));
  keys_.clear();
  return out;
}

}  // namespace gwsync::feed
