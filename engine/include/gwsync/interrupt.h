// How gwsync stops on SIGINT, SIGTERM and SIGHUP (Ctrl-C, `systemctl stop`,
// a closed terminal). The signals are blocked in every thread and taken by
// one thread of their own, so what runs on them is ordinary code, not a
// signal handler.
//
// While a StopScope lives (a sync), the first signal asks the work to stop:
// StopRequested() turns true, nothing new starts, what is in flight is given
// the scope's grace to end, and the run ends as an interrupted one (its
// report, metrics and log say so; the caller exits 128 + the signal). A
// second signal, or the grace running out, stops the process at once as it
// would without a scope: the last words (LastWords) run on the signal's
// thread, then the process dies of the signal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace gwsync {

// Call first in main, before any thread starts.
void StartInterruptThread();

// The signal that asked for a stop, or 0.
int StopSignal();
bool StopRequested();
// The same as a flag work can be handed.
const std::atomic<bool>* StopFlag();
// "SIGTERM", "SIGINT", "SIGHUP".
const char* SignalName(int sig);

class StopScope {
 public:
  // `on_signal` runs on the signal's thread at the first signal (a line to
  // say so).
  explicit StopScope(std::chrono::milliseconds grace, std::function<void(int sig)> on_signal = {});
  ~StopScope();
  StopScope(const StopScope&) = delete;
  StopScope& operator=(const StopScope&) = delete;
};

// What must still happen when the process dies of a signal (remove
// temporaries, write the metrics file and the log line), while it is alive:
// run newest first, on the signal's thread while the other threads still
// run, so keep it short and take no lock the work may hold for long.
class LastWords {
 public:
  explicit LastWords(std::function<void(int sig)> words);
  ~LastWords();
  LastWords(const LastWords&) = delete;
  LastWords& operator=(const LastWords&) = delete;

 private:
  int id_;
};

}  // namespace gwsync
