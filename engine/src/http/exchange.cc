#include "http/exchange.h"

#include <charconv>
#include <cstring>
#include <optional>

#include "http/bodies.h"
#include "http/range.h"

namespace gwsync::http::internal {

constexpr size_t kMaxErrorBody = 64 * 1024;

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    ex->response.headers.clear();  // a new status line (after 100 Continue, redirects)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  ex->response.headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

// True when a budget of the exchange is empty: the transfer is parked on it
// until the loop resumes it.
static bool Throttled(Exchange* ex) {
  for (ByteBudget* b : ex->budgets) {
    if (!b || b->rate <= 0) continue;
    b->Refill();
    if (b->tokens < 1) {
      b->paused.push_back(ex->handle);
      // Our own pacing: not the gateway's time.
      ex->deadline.Pause(std::chrono::steady_clock::now());
      return true;
    }
  }
  return false;
}

static void Spend(Exchange* ex, size_t bytes) {
  for (ByteBudget* b : ex->budgets) {
    if (b && b->rate > 0) b->tokens -= static_cast<double>(bytes);
  }
}

// Reads a decimal header value; false when it is absent or not a number.
static bool ParseU64(std::string_view v, uint64_t* out) {
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return !v.empty() && ec == std::errc() && end == v.data() + v.size();
}

// The body bytes `ex` may accept, fixed when its headers are complete: for a
// 2xx body the request's own limit, lowered to what "Content-Range: bytes
// A-B/SIZE" announces; kMaxBodyInMemory for a body kept in memory and for
// any error body (read for its message). A Content-Length above the limit
// fails the exchange before a byte is written.
static Status SetBodyLimit(Exchange* ex) {
  const Request& r = ex->request;
  bool ok = ex->response.status >= 200 && ex->response.status < 300;
  bool to_sink = r.sink && ok;
  uint64_t limit = to_sink ? r.max_body : kMaxBodyInMemory;
  const std::optional<RangeAsked> asked =
      ok ? ParseRange(FindHeader(r.headers, "range")) : std::nullopt;
  // A 416's "bytes */SIZE" is no range of this body: only a 2xx's counts.
  std::string_view range = ok ? ex->response.header("content-range") : std::string_view();
  if (asked && (ex->response.status != 206 || !range.starts_with("bytes "))) {
    // Not a byte of another range may reach the sink (stdout cannot take it back).
    return DataLoss("the gateway ignored the byte range asked for (HTTP " +
                    std::to_string(ex->response.status) + ", no Content-Range)");
  }
  if (range.starts_with("bytes ")) {
    std::optional<ContentRange> got = ParseContentRange(range);
    if (!got) {
      return DataLoss("the gateway sent a malformed Content-Range '" + std::string(range) + "'");
    }
    // The range answered must be the one asked for: its first byte, and its
    // last (the object's last when the range reaches past it).
    if (asked &&
        (got->first != asked->first ||
         (got->size && got->last != std::min(asked->last.value_or(UINT64_MAX), *got->size - 1)) ||
         (!got->size && asked->last && got->last != *asked->last))) {
      return DataLoss("the gateway answered the bytes " + std::to_string(got->first) + "-" +
                      std::to_string(got->last) + " for the range " + std::to_string(asked->first) +
                      "-" + (asked->last ? std::to_string(*asked->last) : std::string()) +
                      " asked");
    }
    uint64_t length = got->last - got->first + 1;
    if (limit > 0 && length > limit) {
      return DataLoss("the gateway announced " + std::to_string(length) +
                      " bytes (Content-Range), more than the " + std::to_string(limit) +
                      " expected");
    }
    limit = length;
  }
  uint64_t announced = 0;
  if (limit > 0 && ParseU64(ex->response.header("content-length"), &announced) &&
      announced > limit) {
    if (!to_sink) {
      return Status(StatusCode::kResourceExhausted,
                    "the gateway announced a response of " + std::to_string(announced) +
                        " bytes, over the " + std::to_string(limit >> 20) +
                        " MiB this client holds in memory for one answer");
    }
    return DataLoss("the gateway announced " + std::to_string(announced) +
                    " bytes (Content-Length), more than the " + std::to_string(limit) +
                    " expected");
  }
  ex->body_limit = limit;
  return Status::Ok();
}

namespace {

Status FlushSinkBlock(Exchange* ex) {
  if (ex->sink_block.empty()) return Status::Ok();
  Status s = ex->request.sink->Write(ex->sink_block);
  ex->sink_block.clear();
  return s;
}

}  // namespace

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t total = size * n;
  if (ex->response.status == 0) {  // the headers are complete by the first body byte
    long code = 0;
    curl_easy_getinfo(ex->handle, CURLINFO_RESPONSE_CODE, &code);
    ex->response.status = static_cast<int>(code);
    Status limit = SetBodyLimit(ex);
    if (!limit.ok()) {
      ex->body_status = std::move(limit);
      return CURL_WRITEFUNC_ERROR;
    }
  }
  if (Throttled(ex)) return CURL_WRITEFUNC_PAUSE;  // curl hands the same bytes again later
  if (ex->body_limit > 0 && ex->response.bytes_received + total > ex->body_limit) {
    // A gateway that sends on past the length it announced or the caller
    // expects: stop rather than fill the disk or the memory.
    bool to_sink = ex->request.sink && ex->response.status >= 200 && ex->response.status < 300;
    ex->body_status =
        to_sink ? DataLoss("the gateway sent more than the " + std::to_string(ex->body_limit) +
                           " bytes expected: download stopped")
                : Status(StatusCode::kResourceExhausted,
                         "the gateway sent a response over the " +
                             std::to_string(ex->body_limit >> 20) +
                             " MiB this client holds in memory for one answer: stopped");
    return CURL_WRITEFUNC_ERROR;
  }
  Spend(ex, total);
  ex->response.bytes_received += total;
  std::string_view chunk(data, total);
  if (ex->request.sink && ex->response.status >= 200 && ex->response.status < 300) {
    // In blocks: what curl hands over is held until there is a block's
    // worth (a whole block from curl goes on as it is, not copied).
    bool direct = !InBlocks(ex->request) || (ex->sink_block.empty() && total >= kSinkBlock);
    if (!direct) {
      ex->sink_block.append(chunk);
      if (ex->sink_block.size() < kSinkBlock) return total;
    }
    Status s = direct ? ex->request.sink->Write(chunk) : FlushSinkBlock(ex);
    if (!s.ok()) {
      ex->body_status = std::move(s);
      return CURL_WRITEFUNC_ERROR;
    }
    return total;
  }
  // Without a sink the caller asked for the body in memory; an error body
  // next to a sink is only read for its message, so it is capped.
  size_t room = total;
  if (ex->request.sink) room = kMaxErrorBody - std::min(kMaxErrorBody, ex->response.body.size());
  ex->response.body.append(data, std::min(total, room));
  return total;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t want = size * n;
  if (Throttled(ex)) return CURL_READFUNC_PAUSE;
  for (ByteBudget* b : ex->budgets) {
    if (b && b->rate > 0)
      want = std::min(want, std::max<size_t>(1, static_cast<size_t>(b->tokens)));
  }
  Spend(ex, want);
  StatusOr<size_t> got = ex->request.body->Read(std::span<char>(buf, want));
  if (!got.ok()) {
    ex->body_status = got.status();
    return CURL_READFUNC_ABORT;
  }
  ex->response.bytes_sent += *got;
  return *got;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (offset != 0 || origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  ex->response.bytes_sent = 0;
  return ex->request.body->Rewind().ok() ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

Status EndExchange(CURLcode code, Exchange* ex) {
  Status flushed = FlushSinkBlock(ex);
  return code == CURLE_OK ? flushed : FromCurl(code, *ex);
}

Status FromCurl(CURLcode code, const Exchange& ex) {
  const char* errbuf = ex.error;
  if (!ex.body_status.ok()) return ex.body_status;
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  while (!detail.empty() && detail.back() == '\n') detail.pop_back();
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return Unavailable("cannot reach the gateway: " + detail);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return Unavailable(detail);
    case CURLE_OPERATION_TIMEDOUT:
      return Status(StatusCode::kDeadlineExceeded, detail);
    case CURLE_UNSUPPORTED_PROTOCOL:
      // An answer that is no HTTP (an SSH or database port): the endpoint
      // is wrong, which is no usage error of the command line.
      if (detail.find("HTTP/0.9") != std::string::npos) {
        return Status(StatusCode::kFailedPrecondition,
                      "the endpoint does not answer HTTP (not an S3 gateway?): " + detail);
      }
      return InvalidArgument(detail);
    case CURLE_WEIRD_SERVER_REPLY:
      return Status(StatusCode::kFailedPrecondition,
                    "the endpoint does not answer HTTP (not an S3 gateway?): " + detail);
    case CURLE_URL_MALFORMAT:
      return InvalidArgument(detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      // What an operator with a private CA needs to hear.
      return PermissionDenied("the gateway's TLS certificate is not trusted: " + detail +
                              " (to trust a private CA, pass --ca-bundle FILE or set "
                              "AWS_CA_BUNDLE)");
    default:
      return Internal(detail);
  }
}

}  // namespace gwsync::http::internal
