// How a signal stops gwsync (gwsync/interrupt.h), each case in a child process
// of its own (a death test): at once without a scope, gracefully with one,
// at once again on a second signal or when the grace runs out; the last
// words run whenever the process dies of the signal, and not otherwise.
#include "gwsync/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace gwsync {
namespace {

using namespace std::chrono_literals;

void Say(int sig) { std::fprintf(stderr, "last words: %s\n", SignalName(sig)); }

[[noreturn]] void WaitForever() {
  for (;;) sleep(10);
}

TEST(InterruptDeathTest, WithoutAScopeASignalStopsAtOnceAfterTheLastWords) {
  EXPECT_EXIT(
      {
        StartInterruptThread();
        LastWords words(Say);
        kill(getpid(), SIGTERM);
        WaitForever();
      },
      testing::KilledBySignal(SIGTERM), "last words: SIGTERM");
}

TEST(InterruptDeathTest, AScopeStopsGracefullyWithoutLastWords) {
  EXPECT_EXIT(
      {
        StartInterruptThread();
        LastWords words(Say);
        {
          StopScope scope(10s, [](int sig) { std::fprintf(stderr, "stopping: %d\n", sig); });
          kill(getpid(), SIGINT);
          while (!StopRequested() || !*StopFlag()) usleep(1000);
        }
        std::fprintf(stderr, "ended by %s\n", SignalName(StopSignal()));
        std::exit(128 + StopSignal());
      },
      testing::ExitedWithCode(130), "stopping: 2\nended by SIGINT\n$");
}

TEST(InterruptDeathTest, ASecondSignalStopsAtOnce) {
  EXPECT_EXIT(
      {
        StartInterruptThread();
        LastWords words(Say);
        StopScope scope(10s);
        kill(getpid(), SIGTERM);
        while (!StopRequested()) usleep(1000);
        kill(getpid(), SIGINT);
        WaitForever();
      },
      testing::KilledBySignal(SIGINT), "last words: SIGINT");
}

TEST(InterruptDeathTest, TheGraceRunningOutStopsAtOnce) {
  EXPECT_EXIT(
      {
        StartInterruptThread();
        LastWords words(Say);
        StopScope scope(200ms);
        kill(getpid(), SIGHUP);
        WaitForever();  // never ends its scope
      },
      testing::KilledBySignal(SIGHUP), "last words: SIGHUP");
}

// Last words that have ended are not said.
TEST(InterruptDeathTest, EndedLastWordsAreNotSaid) {
  EXPECT_EXIT(
      {
        StartInterruptThread();
        {
          LastWords gone([](int) { std::fprintf(stderr, "should not be said\n"); });
        }
        LastWords words(Say);
        kill(getpid(), SIGTERM);
        WaitForever();
      },
      testing::KilledBySignal(SIGTERM), "^last words: SIGTERM\n$");
}

}  // namespace
}  // namespace gwsync
