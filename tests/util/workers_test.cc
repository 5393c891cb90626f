// Workers at the end of their life: a task handed over from a thread that is
// not one of theirs (the curl loop's, in a transfer) may be the one that
// lets their owner destroy them, so Run touches nothing of the Workers once
// the task can run. ThreadSanitizer reports a condition variable notified
// after its destruction otherwise (tools/sanitize.sh --thread).
#include "util/workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

namespace gwsync::util {
namespace {

TEST(WorkersTest, DestroyedByTheTaskAnotherThreadHandedOver) {
  for (int i = 0; i < 50; ++i) {
    auto workers = std::make_unique<Workers>(2);
    Workers* raw = workers.get();
    std::promise<void> ran;
    std::thread loop([raw, &ran] { raw->Run([&ran] { ran.set_value(); }); });
    ran.get_future().wait();
    workers.reset();  // as UploadFile's caller does once the upload is done
    loop.join();
  }
}

TEST(WorkersTest, EveryTaskQueuedRunsBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  {
    Workers workers(2);
    for (int i = 0; i < 1000; ++i) workers.Run([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

}  // namespace
}  // namespace gwsync::util
