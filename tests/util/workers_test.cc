// Workers hand their tasks to the engine's arena and outlive them. A task
// handed over from a thread that is not the arena's (the curl loop's, in a
// transfer) may be the one that lets their owner destroy them, so Run
// touches nothing of the Workers once the task can run, and a task's
// captures are gone before the destructor returns (ThreadSanitizer reports
// a condition variable notified after its destruction otherwise:
// tools/sanitize.sh --thread). Boundaries: no task, one, a thousand, and
// tasks handed over by tasks.
#include "util/workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

namespace gwsync::util {
namespace {

TEST(WorkersTest, DestroyedByTheTaskAnotherThreadHandedOver) {
  for (int i = 0; i < 50; ++i) {
    auto workers = std::make_unique<Workers>();
    Workers* raw = workers.get();
    std::promise<void> ran;
    std::thread loop([raw, &ran] { raw->Run([&ran] { ran.set_value(); }); });
    ran.get_future().wait();
    workers.reset();  // as UploadFile's caller does once the upload is done
    loop.join();
  }
}

TEST(WorkersTest, NoTaskAndOneTask) {
  { Workers none; }
  std::atomic<int> ran{0};
  {
    Workers one;
    one.Run([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1);
}

TEST(WorkersTest, EveryTaskQueuedRunsBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  {
    Workers workers;
    for (int i = 0; i < 1000; ++i) workers.Run([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

// A transfer's machine goes on from a task with the next (a part's MD5,
// then the next part's): the chain is done before the destructor returns.
TEST(WorkersTest, TasksHandedOverByTasksRunBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  {
    std::function<void(int)> step;  // outlives the Workers, which wait for it
    Workers workers;
    step = [&](int left) {
      ran.fetch_add(1);
      if (left > 0) workers.Run([&step, left] { step(left - 1); });
    };
    workers.Run([&step] { step(99); });
  }
  EXPECT_EQ(ran.load(), 100);
}

// What a task captured (a transfer's state, holding its owner's pointers)
// is destroyed before the owner may go: the destructor waits for it too.
TEST(WorkersTest, ATasksCapturesAreGoneWhenTheDestructorReturns) {
  std::atomic<bool> released{false};
  {
    Workers workers;
    auto slow_to_release = std::shared_ptr<int>(new int(0), [&released](int* p) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      delete p;
      released = true;
    });
    workers.Run([held = std::move(slow_to_release)] {});
  }
  EXPECT_TRUE(released.load());
}

// The one pool: tasks run on the arena's threads, never on the caller's.
TEST(WorkersTest, TasksRunOnTheEnginesArena) {
  std::promise<std::pair<std::thread::id, int>> where;
  {
    Workers workers;
    workers.Run([&where] {
      where.set_value({std::this_thread::get_id(), tbb::this_task_arena::max_concurrency()});
    });
  }
  auto [thread, concurrency] = where.get_future().get();
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(concurrency, CpuThreads());
}

TEST(WorkersTest, InlineRunsOnTheCallersThread) {
  Workers workers(Workers::Mode::kInline);
  std::thread::id ran_on;
  workers.Run([&ran_on] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace gwsync::util
