#include "http/easy_setup.h"

#include <algorithm>
#include <span>
#include <string>

namespace gwsync::http::internal {
namespace {

// Reads the whole of a small request body into ex->inline_body.
Status ReadBody(Exchange* ex, uint64_t size) {
  std::string& body = ex->inline_body;
  body.resize(size);
  size_t got = 0;
  while (got < size) {
    StatusOr<size_t> n = ex->request.body->Read(std::span<char>(body.data() + got, size - got));
    if (!n.ok()) return n.status();
    if (*n == 0)
      return DataLoss("the request body ended before its " + std::to_string(size) + " bytes");
    got += *n;
  }
  ex->response.bytes_sent = size;
  return Status::Ok();
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size): a list of curl_easy_setopt calls
Status SetUpHandle(CURL* h, Exchange* ex, const TransportOptions& options, bool inline_allowed) {
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, option, value);
  };
  const Request& r = ex->request;
  set(CURLOPT_URL, r.url.c_str());
  // Keys like "a/../b" are names, not paths to normalise (the signature covers them as sent).
  set(CURLOPT_PATH_AS_IS, 1L);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TCP_NODELAY, 1L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_USERAGENT, options.user_agent.c_str());
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  if (r.total_timeout.count() > 0) {
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
  }
  if (r.stall_timeout.count() > 0) {
    set(CURLOPT_LOW_SPEED_LIMIT, 1L);
    set(CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(r.stall_timeout.count() / 1000)));
  }
  if (!options.verify_tls) {
    set(CURLOPT_SSL_VERIFYPEER, 0L);
    set(CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!options.ca_bundle.empty()) {
    set(CURLOPT_CAINFO, options.ca_bundle.c_str());
  }
  set(CURLOPT_PRIVATE, ex);
  set(CURLOPT_ERRORBUFFER, ex->error);
  set(CURLOPT_HEADERFUNCTION, OnHeader);
  set(CURLOPT_HEADERDATA, ex);
  set(CURLOPT_WRITEFUNCTION, OnWrite);
  set(CURLOPT_WRITEDATA, ex);
  if (InBlocks(r)) set(CURLOPT_BUFFERSIZE, static_cast<long>(kSinkBlock));

  bool has_content_type = false;
  bool listed = true;
  auto append = [&](const std::string& line) {
    curl_slist* next = listed ? curl_slist_append(ex->header_list, line.c_str()) : nullptr;
    if (next) ex->header_list = next;
    listed = next != nullptr;
  };
  for (const auto& [k, v] : r.headers) {
    // curl's syntax for a header with an empty value is "Name;".
    append(v.empty() ? k + ";" : k + ": " + v);
    if (HeaderNameEquals(k, "content-type")) has_content_type = true;
  }
  // No 100-continue round trip, and no content type curl would invent.
  append("Expect:");
  if (!has_content_type) append("Content-Type:");
  if (!listed) return Internal("cannot start a request: out of memory for its headers");

  const std::string& m = r.method;
  uint64_t body_size = r.body ? r.body->size() : 0;
  bool inline_body =
      inline_allowed && r.body && (m == "PUT" || m == "POST") && body_size <= kMaxInlineBody;
  if (inline_body) {
    RETURN_IF_ERROR(ReadBody(ex, body_size));
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
    set(CURLOPT_POSTFIELDS, ex->inline_body.data());
    if (m == "PUT") set(CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (m == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (m == "PUT") {
    set(CURLOPT_UPLOAD, 1L);
    set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    // A large body is read from its source in blocks too (curl's default: 64 KiB).
    if (body_size >= kLargeBody) set(CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(kSinkBlock));
  } else if (m == "POST") {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
  } else if (m != "GET") {
    set(CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  if ((m == "PUT" || m == "POST") && !inline_body) {
    if (r.body) {
      set(CURLOPT_READFUNCTION, OnRead);
      set(CURLOPT_READDATA, ex);
      set(CURLOPT_SEEKFUNCTION, OnSeek);
      set(CURLOPT_SEEKDATA, ex);
    } else if (m == "POST") {
      set(CURLOPT_POSTFIELDS, "");
    } else {
      set(
          CURLOPT_READFUNCTION, +[](char*, size_t, size_t, void*) -> size_t { return 0; });
    }
  }
  set(CURLOPT_HTTPHEADER, ex->header_list);
  if (rc != CURLE_OK) {
    return Internal(std::string("cannot start a request: ") + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

}  // namespace gwsync::http::internal
