// One HTTP exchange as the curl loop (event_loop.cc) drives it: the request's
// inputs and its response, the byte budgets that pace it, and the libcurl
// callbacks that stream its bodies (checked against the limits a request
// sets) and turn curl's result into a Status. Loop thread only; not part of
// the module's interface.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "http/deadline.h"
#include "http/request.h"

namespace gwsync::http::internal {

// A request body up to this size is read before the request starts and
// handed to curl whole, which sends it in the same write as the headers
// (curl's limit for that is 64 KiB): one system call, not three.
constexpr uint64_t kMaxInlineBody = 60 * 1024;

// A response body this long or longer, bound for a sink, moves in blocks:
// curl reads up to kSinkBlock from the socket at once and the exchange hands
// the sink at least a block a write (curl passes 16 KiB a call), the rest at
// the end, so a GiB costs about 2,000 reads and writes of the file instead of
// 65,000 each. Smaller bodies keep curl's 16 KiB buffer: a block each would
// cost them more than it saves.
constexpr uint64_t kLargeBody = 1 << 20;
constexpr size_t kSinkBlock = 512 << 10;
inline bool InBlocks(const Request& r) { return r.sink && r.max_body >= kLargeBody; }

// A token bucket over body bytes, shared by every transfer of the loop. A
// transfer that finds it empty pauses; the loop resumes it as tokens come.
// Loop thread only.
struct ByteBudget {
  double rate = 0;  // bytes/s; 0: unlimited
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled = std::chrono::steady_clock::now();
  std::vector<CURL*> paused;

  void Refill() {
    auto now = std::chrono::steady_clock::now();
    double burst = std::max(65536.0, rate / 20);
    tokens = std::min(burst, tokens + rate * std::chrono::duration<double>(now - refilled).count());
    refilled = now;
  }
};

// One request in flight: owns its easy handle's inputs and the response.
struct Exchange {
  Request request;
  Callback done;
  Response response;
  curl_slist* header_list = nullptr;
  Status body_status;  // first failure of the body source or sink
  CURL* handle = nullptr;
  // The loop's budget and the endpoint's (either may be unlimited).
  std::array<ByteBudget*, 2> budgets = {nullptr, nullptr};
  uint64_t body_limit = 0;  // body bytes accepted, set by SetBodyLimit; 0: any
  std::string inline_body;  // a small request body, sent with the headers
  std::string sink_block;   // InBlocks: body bytes not yet handed to the sink
  Deadline deadline;        // set when the loop starts the exchange
  char error[CURL_ERROR_SIZE] = {};

  ~Exchange() { curl_slist_free_all(header_list); }
};

size_t OnHeader(char* data, size_t size, size_t n, void* user);
size_t OnWrite(char* data, size_t size, size_t n, void* user);
size_t OnRead(char* buf, size_t size, size_t n, void* user);
int OnSeek(void* user, curl_off_t offset, int origin);
Status FromCurl(CURLcode code, const Exchange& ex);
// The exchange's end: hands the sink what sink_block still holds (whether it
// succeeded or not: what came is kept, as a sink without blocks keeps it)
// and returns the transport status, a failure of that last write included.
Status EndExchange(CURLcode code, Exchange* ex);

}  // namespace gwsync::http::internal
