// The end of the curl loop's pass: what a completion defers runs once per
// key, on the loop's thread, after the completion has returned; off the
// loop's thread it runs at once. Boundaries: nothing deferred, one key, the
// same key twice, work deferred by deferred work, the scope's end.
#include "http/pass.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "http/event_loop.h"

namespace gwsync::http {
namespace {

TEST(PassTest, OffTheLoopItRunsAtOnce) {
  int ran = 0;
  AtEndOfPass(&ran, [&ran] { ++ran; });
  EXPECT_EQ(ran, 1);
  AtEndOfPass(&ran, [&ran] { ++ran; });
  EXPECT_EQ(ran, 2);
}

TEST(PassTest, OncePerKeyAtTheFlush) {
  internal::PassScope pass;
  pass.Flush();  // nothing deferred
  std::vector<int> ran;
  int a = 0, b = 0;
  AtEndOfPass(&a, [&ran] { ran.push_back(1); });
  AtEndOfPass(&a, [&ran] { ran.push_back(2); });  // the same key: the first stands
  AtEndOfPass(&b, [&ran] { ran.push_back(3); });
  EXPECT_TRUE(ran.empty());
  pass.Flush();
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  pass.Flush();  // each once
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
}

TEST(PassTest, WhatDeferredWorkDefersRunsInTheSameFlush) {
  internal::PassScope pass;
  int a = 0, b = 0;
  std::vector<int> ran;
  AtEndOfPass(&a, [&] {
    ran.push_back(1);
    AtEndOfPass(&a, [&ran] { ran.push_back(2); });  // its key is free again
    AtEndOfPass(&b, [&ran] { ran.push_back(3); });
  });
  pass.Flush();
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(PassTest, TheScopesEndFlushesAndRestoresTheOuter) {
  std::vector<int> ran;
  int a = 0;
  {
    internal::PassScope outer;
    {
      internal::PassScope inner;
      AtEndOfPass(&a, [&ran] { ran.push_back(1); });
    }
    EXPECT_EQ(ran, (std::vector<int>{1}));
    AtEndOfPass(&a, [&ran] { ran.push_back(2); });  // deferred to the outer scope
    EXPECT_EQ(ran, (std::vector<int>{1}));
  }
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  AtEndOfPass(&a, [&ran] { ran.push_back(3); });  // no scope left: at once
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

// On the real loop: a callback's deferred work waits for the callback to
// return and runs on the loop's thread, once.
TEST(PassTest, TheLoopRunsItAfterTheCallbackOnItsThread) {
  auto transport = CurlTransport::Create();
  ASSERT_TRUE(transport.ok()) << transport.status().message();
  struct Seen {
    int runs = 0;
    int callbacks_done = 0;
    std::thread::id thread;
  };
  auto seen = std::make_shared<Seen>();
  std::promise<std::thread::id> loop_thread;
  std::promise<void> flushed;
  (*transport)->Post(std::chrono::milliseconds(0), [&, seen](Status) {
    loop_thread.set_value(std::this_thread::get_id());
    for (int i = 0; i < 2; ++i) {
      AtEndOfPass(seen.get(), [&, seen] {
        ++seen->runs;
        seen->thread = std::this_thread::get_id();
        if (seen->callbacks_done == 1) flushed.set_value();
      });
    }
    ++seen->callbacks_done;  // after the deferral: seen by the deferred work only if it waited
  });
  auto thread = loop_thread.get_future().get();
  ASSERT_EQ(flushed.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  (*transport)->Shutdown(std::chrono::milliseconds(0));
  EXPECT_EQ(seen->runs, 1);
  EXPECT_EQ(seen->thread, thread);
  EXPECT_NE(thread, std::this_thread::get_id());
}

}  // namespace
}  // namespace gwsync::http
