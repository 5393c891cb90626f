// The events a gateway's bucket notifications carry (S3's event record, as
// Ceph RGW sends it to an AMQP exchange: one JSON message per change), and
// the coalescing of a batch of them into one change per key. Plain values
// and functions: safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::feed {

struct Event {
  std::string bucket;
  std::string key;       // as stored: RGW does not URL-encode it
  std::string name;      // eventName: "ObjectCreated:Put", "ObjectRemoved:Delete", ...
  bool removed = false;  // ObjectRemoved:*
  uint64_t size = 0;     // created: the object's size
  std::string etag;      // created: the object's ETag, without quotes
  std::string version_id;
  // Orders the events of one key: RGW's time of publishing, in ns (0 when
  // the event has none that can be read).
  uint64_t sequencer = 0;
  std::string time;  // eventTime, ISO 8601 (compared as text when sequencers tie)
};

// The records of one message body ({"Records": [...]}). InvalidArgument
// naming what is wrong when it is no such document, or a record lacks its
// event name or key.
StatusOr<std::vector<Event>> ParseEvents(std::string_view body);

// A sequencer as RGW 16 writes it: the hex of its utime_t's bytes (seconds
// and nanoseconds, each 32 bits little-endian), 16 digits; any other hex
// string is read as a big-endian number (S3's form). 0 when it is no hex.
uint64_t ParseSequencer(std::string_view hex);

// True when `b` happened after `a` (the same key): by sequencer, then by
// event time. Equal events are not later: the first one seen is kept.
bool Later(const Event& a, const Event& b);

// A batch's events, one entry per key: the latest event, and the messages
// (their delivery tags) that all settle with it. Keys come out in byte
// order. Holds what it is given: a batch, not a queue.
class Coalescer {
 public:
  struct Entry {
    Event last;
    std::vector<uint64_t> tags;
  };
  void Add(Event event, uint64_t tag);
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  // The entries, in key order; the coalescer is empty afterwards.
  std::vector<Entry> Take();

 private:
  std::map<std::string, Entry> keys_;
};

}  // namespace gwsync::feed
