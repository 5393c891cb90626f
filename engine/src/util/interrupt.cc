#include "gwsync/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <thread>

namespace gwsync {
namespace {

std::atomic<int> g_signal{0};
std::atomic<bool> g_stop{false};

std::mutex g_scope_mu;  // the three below
int g_scopes = 0;
std::chrono::milliseconds g_grace{0};
std::function<void(int)> g_on_signal;

std::mutex g_words_mu;  // held while the last words run: no LastWords ends meanwhile
std::map<int, std::function<void(int)>> g_words;
int g_next_words = 0;

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  return set;
}

[[noreturn]] void Die(int sig) {
  {
    std::lock_guard lock(g_words_mu);
    for (auto it = g_words.rbegin(); it != g_words.rend(); ++it) it->second(sig);
    // Dies of the signal, as the shell and systemd expect (128 + sig).
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    raise(sig);
  }
  _exit(128 + sig);
}

bool Scoped() {
  std::lock_guard lock(g_scope_mu);
  return g_scopes > 0;
}

void Loop() {
  const sigset_t set = StopSignals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (g_signal.load() != 0) Die(sig);  // the second: at once
    std::function<void(int)> on_signal;
    std::chrono::milliseconds grace{0};
    {
      std::lock_guard lock(g_scope_mu);
      if (g_scopes == 0) Die(sig);
      on_signal = g_on_signal;
      grace = g_grace;
    }
    // Said before the work can see the stop: its last line comes after.
    if (on_signal) on_signal(sig);
    g_signal.store(sig);
    g_stop.store(true);
    const auto start = std::chrono::steady_clock::now();
    while (Scoped()) {
      auto left = grace - std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start);
      if (left.count() <= 0) Die(sig);
      auto wait = std::min(left, std::chrono::milliseconds(100));
      timespec ts{static_cast<time_t>(wait.count() / 1000),
                  static_cast<long>((wait.count() % 1000) * 1000000)};
      int again = sigtimedwait(&set, nullptr, &ts);
      if (again > 0) Die(again);
    }
    // The scope ended: its caller exits with 128 + sig. A signal after that
    // stops the process at once.
  }
}

}  // namespace

void StartInterruptThread() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(Loop).detach();
}

int StopSignal() { return g_signal.load(); }
bool StopRequested() { return g_stop.load(); }
const std::atomic<bool>* StopFlag() { return &g_stop; }

const char* SignalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "a signal";
}

StopScope::StopScope(std::chrono::milliseconds grace, std::function<void(int)> on_signal) {
  std::lock_guard lock(g_scope_mu);
  ++g_scopes;
  g_grace = grace;
  g_on_signal = std::move(on_signal);
}

StopScope::~StopScope() {
  std::lock_guard lock(g_scope_mu);
  --g_scopes;
}

LastWords::LastWords(std::function<void(int)> words) {
  std::lock_guard lock(g_words_mu);
  id_ = g_next_words++;
  g_words.emplace(id_, std::move(words));
}

LastWords::~LastWords() {
  std::lock_guard lock(g_words_mu);
  g_words.erase(id_);
}

}  // namespace gwsync
