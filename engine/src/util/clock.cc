#include "util/clock.h"

#include <random>

namespace gwsync {

namespace {

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

class ThreadRandom final : public Random {
 public:
  int64_t Uniform(int64_t lo, int64_t hi) override {
    if (hi <= lo) return lo;
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
};

}  // namespace

Clock* Clock::Real() {
  static SteadyClock clock;
  return &clock;
}

Random* Random::Real() {
  static ThreadRandom random;
  return &random;
}

}  // namespace gwsync
