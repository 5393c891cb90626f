// Runs the gwsync binary as a child process, the way a user's shell does, and
// checks its output the way a user reads it. For tests on the main thread.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace gwsync::e2e {

using Env = std::map<std::string, std::string>;

struct Result {
  std::string command;  // for failure messages
  int exit_code = -1;   // 128 + signal number when killed by a signal
  std::string out, err;
  double seconds = 0;
};

std::ostream& operator<<(std::ostream& os, const Result& r);

// Runs `bin args...` with exactly `env` (nothing inherited), feeding `input`
// on stdin, and collects stdout and stderr separately. A run still going
// after 30 s is killed and fails the test.
Result Run(const std::string& bin, const std::vector<std::string>& args, const Env& env,
           const std::string& input);

::testing::AssertionResult Contains(const std::string& text, const std::string& part);
std::vector<std::string> Lines(const std::string& text);
bool HasLineEndingWith(const std::string& text, const std::string& suffix);

// A failure as the user sees it: exit 1 or 2 (not a crash), nothing on
// stdout, and exactly one line on stderr, "gwsync: ...". Returns that line.
std::string ExpectOneErrorLine(const Result& r);
// Success: exit 0 and nothing on stderr.
void ExpectOk(const Result& r);

// The binary under test ($GWSYNC_BIN), or "" after failing the test.
std::string GwsyncBin();

}  // namespace gwsync::e2e
