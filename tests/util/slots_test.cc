// Slots at their boundaries: no wait below the bound, a waiter woken only
// once `wake` slots are free (and when every slot is, whatever `wake`
// asked), several waiters all served.
#include "util/slots.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace gwsync::util {
namespace {

using namespace std::chrono_literals;

// Waits up to 10 s for `flag`, for a thread that should get there.
bool Eventually(const std::atomic<int>& value, int want) {
  for (int i = 0; i < 10000 && value.load() != want; ++i) std::this_thread::sleep_for(1ms);
  return value.load() == want;
}

TEST(SlotsTest, UpToTheBoundNothingWaits) {
  for (int n : {0, 1, 4}) {
    Slots slots(n);
    for (int i = 0; i < std::max(1, n); ++i) slots.Acquire();  // 0 is one slot
    EXPECT_EQ(slots.free(), 0) << n;
    slots.Release(std::max(1, n));
    EXPECT_EQ(slots.free(), std::max(1, n)) << n;
  }
}

TEST(SlotsTest, AWaiterIsWokenOnlyOnceWakeSlotsAreFree) {
  Slots slots(4, 3);
  for (int i = 0; i < 4; ++i) slots.Acquire();
  std::atomic<int> got{0};
  std::thread waiter([&] {
    slots.Acquire();
    got = 1;
  });
  slots.Release();
  slots.Release();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(got.load(), 0) << "woken with 2 of the 3 slots it waits for";
  slots.Release();
  EXPECT_TRUE(Eventually(got, 1));
  waiter.join();
  EXPECT_EQ(slots.free(), 2);
}

// A mark above the bound is the bound: every slot freed wakes the waiter.
TEST(SlotsTest, AMarkAboveTheBoundWakesWhenAllAreFree) {
  Slots slots(2, 10);
  slots.Acquire();
  slots.Acquire();
  std::atomic<int> got{0};
  std::thread waiter([&] {
    slots.Acquire();
    got = 1;
  });
  slots.Release();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(got.load(), 0);
  slots.Release();
  EXPECT_TRUE(Eventually(got, 1));
  waiter.join();
}

TEST(SlotsTest, EveryWaiterIsServedByOneRelease) {
  Slots slots(3, 3);
  for (int i = 0; i < 3; ++i) slots.Acquire();
  std::atomic<int> got{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      slots.Acquire();
      ++got;
    });
  }
  std::this_thread::sleep_for(20ms);
  slots.Release(3);
  EXPECT_TRUE(Eventually(got, 3));
  for (auto& t : waiters) t.join();
  EXPECT_EQ(slots.free(), 0);
}

}  // namespace
}  // namespace gwsync::util
