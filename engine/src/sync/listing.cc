#include "sync/listing.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "scan/local_walker.h"

namespace gwsync::sync {
namespace {

// Pages through one listing request series (with or without delimiter).
Status ListPages(const s3::Client& client, const std::string& bucket, const std::string& prefix,
                 bool delimited, std::vector<s3::ObjectInfo>* objects,
                 std::vector<std::string>* prefixes) {
  s3::ListOptions o;
  o.prefix = prefix;
  if (delimited) o.delimiter = "/";
  for (;;) {
    auto page = s3::Wait<s3::ListPage>([&](auto done) { client.ListObjects(bucket, o, done); });
    if (!page.ok()) return page.status();
    for (auto& obj : page->objects) objects->push_back(std::move(obj));
    if (prefixes) {
      for (auto& p : page->common_prefixes) prefixes->push_back(std::move(p));
    }
    if (!page->truncated) return Status::Ok();
    o.continuation = page->next_token;
    if (o.continuation.empty())
      return Internal("bucket '" + bucket + "': truncated listing without a token");
  }
}

// A contiguous piece of the key space: one object, or everything under a
// prefix.
struct Chunk {
  std::string first;  // sorts the chunks
  std::vector<s3::ObjectInfo> objects;
};

// Splits `prefix` at '/' up to a few levels until there are enough prefixes
// to list in parallel, then lists each prefix whole.
Status ListTree(const s3::Client& client, const std::string& bucket, const std::string& prefix,
                int parallel, int depth, std::vector<Chunk>* chunks) {
  std::vector<s3::ObjectInfo> here;
  std::vector<std::string> subs;
  RETURN_IF_ERROR(ListPages(client, bucket, prefix, true, &here, &subs));
  for (auto& obj : here) {
    Chunk c;
    c.first = obj.key;
    c.objects.push_back(std::move(obj));
    chunks->push_back(std::move(c));
  }
  if (subs.empty()) return Status::Ok();
  if (static_cast<int>(subs.size()) < parallel && depth < 3) {
    for (const auto& sub : subs)
      RETURN_IF_ERROR(ListTree(client, bucket, sub, parallel, depth + 1, chunks));
    return Status::Ok();
  }
  std::vector<Chunk> out(subs.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  auto worker = [&] {
    for (size_t i; (i = next++) < subs.size();) {
      out[i].first = subs[i];
      Status s = ListPages(client, bucket, subs[i], false, &out[i].objects, nullptr);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = s;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min<int>(parallel, static_cast<int>(subs.size())); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();
  RETURN_IF_ERROR(first_error);
  for (auto& c : out) chunks->push_back(std::move(c));
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<plan::Entry>> ListLocal(const std::string& root, const plan::Filter& filter,
                                             bool missing_ok, bool clean_temps) {
  std::vector<plan::Entry> out;
  scan::WalkOptions wo;
  wo.remove_stale_temps = clean_temps;
  Status s = scan::WalkLocal(root, wo, [&](scan::LocalEntry e) {
    if (!filter.Allows(e.key)) return Status::Ok();
    plan::Entry p;
    p.key = std::move(e.key);
    p.size = e.size;
    p.mtime_ns = e.mtime_ns;
    p.inode = e.inode;
    p.mode = e.mode;
    out.push_back(std::move(p));
    return Status::Ok();
  });
  if (s.code() == StatusCode::kNotFound && missing_ok) return out;
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::vector<plan::Entry>> ListRemote(const s3::Client& client, const std::string& bucket,
                                              const std::string& prefix, const plan::Filter& filter,
                                              bool missing_ok, int parallel) {
  std::vector<Chunk> chunks;
  Status s = ListTree(client, bucket, prefix, parallel, 0, &chunks);
  if (s.code() == StatusCode::kNotFound && missing_ok) return std::vector<plan::Entry>();
  if (!s.ok()) return s;
  std::sort(chunks.begin(), chunks.end(),
            [](const Chunk& a, const Chunk& b) { return a.first < b.first; });
  std::vector<plan::Entry> out;
  for (auto& c : chunks) {
    for (auto& obj : c.objects) {
      std::string key = obj.key.substr(prefix.size());
      if (key.empty() || !filter.Allows(key)) continue;
      plan::Entry e;
      e.key = std::move(key);
      e.size = obj.size;
      e.etag = std::move(obj.etag);
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace gwsync::sync
