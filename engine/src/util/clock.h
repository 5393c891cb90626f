// The seams through which the gateway code reads time and draws randomness,
// so tests can run it on a virtual clock with fixed jitter. Clock::Real() and
// Random::Real() are what production uses; both are safe from any thread,
// and an implementation a test passes in must be as safe as the code that
// uses it needs (a single-threaded fake is enough for a single-threaded test).
#pragma once

#include <chrono>
#include <cstdint>

namespace gwsync {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // std::chrono::steady_clock; lives as long as the process.
  static Clock* Real();
};

class Random {
 public:
  virtual ~Random() = default;
  // A number in [lo, hi], uniformly; lo when hi <= lo.
  virtual int64_t Uniform(int64_t lo, int64_t hi) = 0;
  // A std::mt19937_64 per thread, seeded from std::random_device; lives as
  // long as the process.
  static Random* Real();
};

}  // namespace gwsync
