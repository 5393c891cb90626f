#include "feed/event.h"

#include <gtest/gtest.h>

#include "feed/batch.h"

namespace gwsync::feed {
namespace {

// A record as RGW 16.2 sends it (trimmed of fields gwsync does not read).
std::string Record(const std::string& name, const std::string& key, const std::string& seq,
                   uint64_t size = 5, const std::string& time = "2024-05-01T10:00:00.000000Z") {
  return R"({"eventVersion":"2.2","eventSource":"ceph:s3","eventTime":")" + time +
         R"(","eventName":")" + name + R"(","s3":{"bucket":{"name":"photos"},"object":{"key":")" +
         key + R"(","size":)" + std::to_string(size) +
         R"(,"eTag":"5d41402abc4b2a76b9719d911017c592","versionId":"","sequencer":")" + seq +
         R"("}}})";
}

std::string Message(const std::string& record) { return R"({"Records":[)" + record + "]}"; }

TEST(ParseEvents, ReadsRgwRecord) {
  auto events = ParseEvents(Message(Record("ObjectCreated:Put", "a b/c", "2C0B5266B6F5E11A", 42)));
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  const Event& e = (*events)[0];
  EXPECT_EQ(e.bucket, "photos");
  EXPECT_EQ(e.key, "a b/c");
  EXPECT_FALSE(e.removed);
  EXPECT_EQ(e.size, 42u);
  EXPECT_EQ(e.etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_NE(e.sequencer, 0u);
}

TEST(ParseEvents, RemovedEvents) {
  for (const char* name :
       {"ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRemoved:Delete"}) {
    auto events = ParseEvents(Message(Record(name, "k", "00")));
    ASSERT_TRUE(events.ok()) << name;
    EXPECT_TRUE((*events)[0].removed) << name;
  }
}

TEST(ParseEvents, RefusesWhatIsNoEvent) {
  EXPECT_FALSE(ParseEvents("not json").ok());
  EXPECT_FALSE(ParseEvents(R"({"gwsync_marker":"x"})").ok());
  EXPECT_FALSE(ParseEvents(Message(Record("ObjectTagging:Put", "k", "00"))).ok());
  EXPECT_FALSE(ParseEvents(Message(Record("ObjectCreated:Put", "", "00"))).ok());
  EXPECT_FALSE(ParseEvents(R"({"Records":[{"eventName":"ObjectCreated:Put"}]})").ok());
}

TEST(ParseSequencer, RgwUtimeBytesAreLittleEndian) {
  // sec = 0x66525B2C, nsec = 0x1AE1F5B6 (448,919,990 ns), bytes in memory order.
  EXPECT_EQ(ParseSequencer("2C5B5266B6F5E11A"), 0x66525B2Cull * 1000000000ull + 0x1AE1F5B6ull);
  // One nanosecond later is later, though the hex text sorts lower.
  EXPECT_GT(ParseSequencer("2C5B5266B7F5E11A"), ParseSequencer("2C5B5266B6F5E11A"));
  EXPECT_EQ(ParseSequencer("0A"), 10u);  // S3's big-endian form
  EXPECT_EQ(ParseSequencer("xyz"), 0u);
  EXPECT_EQ(ParseSequencer(""), 0u);
}

Event At(const std::string& key, uint64_t seq, bool removed = false,
         const std::string& time = "2024-05-01T10:00:00.000000Z") {
  Event e;
  e.key = key;
  e.sequencer = seq;
  e.removed = removed;
  e.time = time;
  return e;
}

TEST(Coalescer, LastEventWinsPerKeyWhateverTheOrder) {
  Coalescer c;
  c.Add(At("b", 30, true), 1);  // b removed last
  c.Add(At("a", 10), 2);
  c.Add(At("b", 20), 3);  // arrives later, happened earlier
  c.Add(At("a", 10), 4);  // a duplicate
  c.Add(At("c", 5), 5);
  auto entries = c.Take();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].last.key, "a");
  EXPECT_EQ(entries[0].tags, (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(entries[1].last.key, "b");
  EXPECT_TRUE(entries[1].last.removed);
  EXPECT_EQ(entries[1].tags, (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(entries[2].last.key, "c");
  EXPECT_TRUE(c.empty());
}

TEST(Coalescer, EventTimeBreaksASequencerTie) {
  Coalescer c;
  c.Add(At("k", 7, false, "2024-05-01T10:00:01.000000Z"), 1);
  c.Add(At("k", 7, true, "2024-05-01T10:00:00.000000Z"), 2);
  EXPECT_FALSE(c.Take()[0].last.removed);
}

TEST(Batch, SettlesOnlyWhatFinishedWell) {
  Coalescer c;
  c.Add(At("a", 1), 1);
  c.Add(At("a", 2), 2);
  c.Add(At("b", 1), 3);
  c.Add(At("c", 1), 4);
  std::atomic<bool> stop{false};
  Batch batch(c.Take(), &stop);
  sync::Change change;
  ASSERT_TRUE(batch.Next(&change));
  EXPECT_EQ(change.key, "a");
  batch.Finished(change.token, true);
  ASSERT_TRUE(batch.Next(&change));
  batch.Finished(change.token, false);  // b failed: it must come again
  stop = true;                          // c never handed out
  EXPECT_FALSE(batch.Next(&change));
  auto s = batch.Settle({9});
  EXPECT_EQ(s.ack, (std::vector<uint64_t>{9, 1, 2}));
  EXPECT_EQ(s.requeue, (std::vector<uint64_t>{3, 4}));
}

}  // namespace
}  // namespace gwsync::feed
