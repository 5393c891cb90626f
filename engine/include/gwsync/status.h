// Status is the outcome of an operation: OK, or an error code with a message
// a user can act on. StatusOr<T> holds either a T or a non-OK Status.
// Errors are values across the engine's API; nothing throws past it.
// Both types are plain values: safe to copy and move between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gwsync {

enum class StatusCode {
  kOk = 0,
  kCancelled,
  kInvalidArgument,     // bad input from the user: malformed URL, bad flag
  kNotFound,            // 404: no such bucket, key or file
  kAlreadyExists,       // 409 BucketAlreadyExists and the like
  kPermissionDenied,    // 403: wrong credentials, access denied
  kFailedPrecondition,  // 409 BucketNotEmpty, 412
  kAborted,             // another process holds what this needs (a pair's lock): try later
  kResourceExhausted,   // 413 body too large, disk full, 429 throttling
  kUnavailable,         // 503 SlowDown, connection refused/reset: retry with backoff
  kDeadlineExceeded,    // timeout
  kDataLoss,            // checksum or length mismatch
  kInternal,            // a gateway 5xx other than 503, a broken invariant
  kUnimplemented,
  kUnknown,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The HTTP status and S3 error details, when the error came from a gateway.
  int http_status() const { return http_status_; }
  const std::string& s3_code() const { return s3_code_; }
  const std::string& request_id() const { return request_id_; }
  Status& WithS3(int http_status, std::string s3_code, std::string request_id) {
    http_status_ = http_status;
    s3_code_ = std::move(s3_code);
    request_id_ = std::move(request_id);
    return *this;
  }

  // Prefixes the message with context ("put s3://b/k: ...").
  Status Annotate(std::string_view context) const {
    Status s = *this;
    if (!ok()) s.message_ = std::string(context) + ": " + message_;
    return s;
  }

  // "NotFound: message".
  std::string ToString() const;

  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int http_status_ = 0;
  std::string s3_code_;
  std::string request_id_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }
  StatusOr(T value) : value_(std::move(value)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

#define GWSYNC_CONCAT_INNER(a, b) a##b
#define GWSYNC_CONCAT(a, b) GWSYNC_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` is a non-OK Status.
#define RETURN_IF_ERROR(expr)      \
  do {                             \
    ::gwsync::Status _st = (expr); \
    if (!_st.ok()) return _st;     \
  } while (0)

// `lhs = value of expr`, or returns its Status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(GWSYNC_CONCAT(_statusor_, __LINE__), lhs, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): tmp is a name being declared and
// lhs may be one (`auto x`); parentheses around either would not compile.
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace gwsync
