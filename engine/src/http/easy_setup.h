// Sets up a libcurl easy handle for one exchange: its URL, method, headers,
// timeouts, TLS and the callbacks that stream its bodies (exchange.h).
// What ties the handle to the loop (sockets, budgets) is the loop's.
// Loop thread only; not part of the module's interface.
#pragma once

#include <curl/curl.h>

#include "http/event_loop.h"
#include "http/exchange.h"

namespace gwsync::http::internal {

// An error when libcurl refuses an option (out of memory) or a small body,
// read whole to go with the headers (`inline_allowed` allows that; a body paced
// by a byte budget never is), cannot be read.
Status SetUpHandle(CURL* h, Exchange* ex, const TransportOptions& options, bool inline_allowed);

}  // namespace gwsync::http::internal
