#include "session/shard_plan.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "s3/listing.h"

namespace gwsync::session {
namespace {

// The next split point when the listing has no key left to give one: just
// past the previous (an empty share; there is nothing between the two).
std::string Pad(const std::vector<std::string>& bounds) {
  return bounds.empty() ? std::string() : bounds.back() + '\0';
}

}  // namespace

StatusOr<ShardPlan> PlanFromStream(sides::EntryStream& stream, int n) {
  if (n < 1) return InvalidArgument("the number of shares must be at least 1");
  // Every `stride`-th key, with its index and the bytes up to and with it.
  struct Sample {
    uint64_t index;
    std::string key;
    uint64_t bytes_through;
  };
  std::vector<Sample> samples;
  const size_t cap = std::max<size_t>(1024, 64 * static_cast<size_t>(n));
  uint64_t stride = 1, count = 0, bytes = 0;
  sides::ListBatch batch;
  while (stream.Next(&batch)) {
    for (const auto& p : batch.problems) {
      if (p.read_error) return Status(p.status.code(), p.path + ": " + p.status.message());
    }
    for (const auto& e : batch.entries) {
      bytes += e.size;
      if (count % stride == 0) samples.push_back({count, e.key, bytes});
      ++count;
      if (samples.size() >= cap) {
        std::erase_if(samples, [&](const Sample& s) { return s.index % (2 * stride) != 0; });
        stride *= 2;
      }
    }
  }
  ShardPlan plan;
  plan.method = "listing";
  uint64_t keys_before = 0, bytes_before = 0;
  for (int k = 1; k < n; ++k) {
    uint64_t target = count * k / n;  // keys in the shares before share k
    auto it = std::upper_bound(samples.begin(), samples.end(), target,
                               [](uint64_t t, const Sample& s) { return t < s.index + 1; });
    // `it` is the first sample past the target; the one before ends share k-1.
    if (it == samples.begin() || std::prev(it)->index + 1 <= keys_before) {
      plan.bounds.push_back(Pad(plan.bounds));
      plan.keys.push_back(0);
      plan.bytes.push_back(0);
      continue;
    }
    const Sample& s = *std::prev(it);
    plan.bounds.push_back(s.key);
    plan.keys.push_back(s.index + 1 - keys_before);
    plan.bytes.push_back(s.bytes_through - bytes_before);
    keys_before = s.index + 1;
    bytes_before = s.bytes_through;
  }
  plan.keys.push_back(count - keys_before);
  plan.bytes.push_back(bytes - bytes_before);
  RETURN_IF_ERROR(sides::ValidateBounds(plan.bounds));
  return plan;
}

namespace {

// One delimiter level under `prefix`: its keys and folders, in order, as
// far as the request budget goes. `names`: the plan's list budget, shared
// by its levels.
Status ListLevel(const s3::Client& client, const std::string& bucket, const std::string& prefix,
                 const std::shared_ptr<s3::ListBudget>& names, int* budget,
                 std::vector<std::string>* out) {
  s3::ListingOptions o;
  o.prefix = prefix;
  o.delimiter = "/";
  o.budget = names;
  // A page out of order, outside the level, or that would page for ever
  // ends the plan with an error: split points from it would be wrong.
  s3::ObjectListing listing(client, bucket, std::move(o));
  s3::ListPage page;
  while (*budget > 0) {
    --*budget;
    ASSIGN_OR_RETURN(bool more, listing.Next(&page));
    if (!more) break;
    size_t before = out->size();
    for (const auto& obj : page.objects) {
      if (obj.key != prefix) out->push_back(obj.key);  // the level's own marker is no piece
    }
    out->insert(out->end(), page.common_prefixes.begin(), page.common_prefixes.end());
    std::sort(out->begin() + before, out->end());
    if (!page.truncated) break;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ShardPlan> QuickBounds(const s3::Client& client, const std::string& bucket,
                                const std::string& prefix, int n, int max_requests) {
  if (n < 1) return InvalidArgument("the number of shares must be at least 1");
  ShardPlan plan;
  plan.method = "delimiter";
  if (n == 1) return plan;
  int budget = max_requests;
  // --list-limit over all the levels; no HEAD: the requests are few.
  auto names = std::make_shared<s3::ListBudget>(std::nullopt, client.options().list_limit);
  std::vector<std::string> units;  // keys and folders, absolute, ascending
  RETURN_IF_ERROR(ListLevel(client, bucket, prefix, names, &budget, &units));
  // Descend while there are too few pieces to balance n shares.
  const size_t wanted = 8 * static_cast<size_t>(n);
  for (int depth = 0; depth < 4 && units.size() < wanted && budget > 0; ++depth) {
    std::vector<std::string> next;
    bool expanded = false;
    for (const auto& u : units) {
      if (u.back() != '/' || budget <= 0) {
        next.push_back(u);
        continue;
      }
      size_t before = next.size();
      RETURN_IF_ERROR(ListLevel(client, bucket, u, names, &budget, &next));
      if (next.size() == before) next.push_back(u);
      expanded = true;
    }
    units = std::move(next);
    if (!expanded) break;
  }
  // Each unit is a key or a folder: a split at a folder's name puts its
  // keys in the next share.
  const size_t u = units.size();
  for (int k = 1; k < n; ++k) {
    size_t idx = u * k / n;
    std::string b = idx < u ? units[idx].substr(prefix.size()) : std::string();
    if (idx >= u || (!plan.bounds.empty() && !(plan.bounds.back() < b))) b = Pad(plan.bounds);
    plan.bounds.push_back(std::move(b));
  }
  RETURN_IF_ERROR(sides::ValidateBounds(plan.bounds));
  return plan;
}

std::string ShardPlanJson(const ShardPlan& plan) {
  nlohmann::json j;
  j["shares"] = plan.count();
  j["source"] = plan.source;
  j["method"] = plan.method;
  j["bounds"] = nlohmann::json::array();
  for (const auto& b : plan.bounds) j["bounds"].push_back(sides::EncodeKey(b));
  if (!plan.keys.empty()) {
    j["keys"] = plan.keys;
    j["bytes"] = plan.bytes;
    uint64_t keys = 0, bytes = 0;
    for (size_t i = 0; i < plan.keys.size(); ++i) {
      keys += plan.keys[i];
      bytes += plan.bytes[i];
    }
    j["total_keys"] = keys;
    j["total_bytes"] = bytes;
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

StatusOr<ShardPlan> ReadShardPlan(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read shard plan '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  ShardPlan plan;
  plan.method = "file";
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("bounds") || !j["bounds"].is_array()) {
      return InvalidArgument("'" + path + "' is not a shard plan (no \"bounds\" array)");
    }
    for (const auto& b : j["bounds"]) {
      if (!b.is_string()) return InvalidArgument("'" + path + "': a bound is not a string");
      ASSIGN_OR_RETURN(std::string key, sides::DecodeKey(b.get<std::string>()));
      plan.bounds.push_back(std::move(key));
    }
    // Counts are informative: taken only when they are what they should be.
    auto counts = [&](const char* name, std::vector<uint64_t>* out) {
      const auto it = j.find(name);
      if (it == j.end() || !it->is_array() || it->size() != plan.bounds.size() + 1) return;
      for (const auto& v : *it) {
        if (!v.is_number_unsigned()) {
          out->clear();
          return;
        }
        out->push_back(v.get<uint64_t>());
      }
    };
    counts("keys", &plan.keys);
    counts("bytes", &plan.bytes);
    if (plan.keys.size() != plan.bytes.size()) {
      plan.keys.clear();
      plan.bytes.clear();
    }
    if (j.contains("source") && j["source"].is_string()) plan.source = j["source"];
    if (j.contains("shares") && (!j["shares"].is_number_integer() || j["shares"] != plan.count())) {
      return InvalidArgument("'" + path + "': \"shares\" does not match the bounds");
    }
  } else {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      ASSIGN_OR_RETURN(std::string key, sides::DecodeKey(line));
      plan.bounds.push_back(std::move(key));
    }
  }
  if (Status s = sides::ValidateBounds(plan.bounds); !s.ok()) {
    return InvalidArgument("'" + path + "': " + s.message());
  }
  return plan;
}

}  // namespace gwsync::session
