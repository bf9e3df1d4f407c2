// Status: the outcome of an operation that can fail, as a value (no exceptions).
//
// Codes follow abseil's canonical set so that every layer can map them the same way
// (the API turns them into HTTP codes in one function, agents decide on retries).
// An OK Status is one null pointer; an error carries a code, a message, an optional
// context string (a file, an offset, a key) and the errno that caused it, if any.
//
// Thread-safety: a Status is a value; distinct objects may be used from distinct
// threads, and const methods may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace strix {

enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Lower-case name of a code, e.g. "invalid_argument".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string_view message, std::string_view context = {},
         int sys_errno = 0);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return Status(); }
  static Status Cancelled(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kCancelled, msg, ctx);
  }
  static Status InvalidArgument(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kInvalidArgument, msg, ctx);
  }
  static Status DeadlineExceeded(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kDeadlineExceeded, msg, ctx);
  }
  static Status NotFound(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kNotFound, msg, ctx);
  }
  static Status AlreadyExists(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kAlreadyExists, msg, ctx);
  }
  static Status PermissionDenied(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kPermissionDenied, msg, ctx);
  }
  static Status ResourceExhausted(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kResourceExhausted, msg, ctx);
  }
  static Status FailedPrecondition(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kFailedPrecondition, msg, ctx);
  }
  static Status Aborted(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kAborted, msg, ctx);
  }
  static Status OutOfRange(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kOutOfRange, msg, ctx);
  }
  static Status Unimplemented(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kUnimplemented, msg, ctx);
  }
  static Status Internal(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kInternal, msg, ctx);
  }
  static Status Unavailable(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kUnavailable, msg, ctx);
  }
  // Stored data is damaged (checksum mismatch, impossible field).
  static Status Corruption(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kDataLoss, msg, ctx);
  }
  static Status Unauthenticated(std::string_view msg, std::string_view ctx = {}) {
    return Status(StatusCode::kUnauthenticated, msg, ctx);
  }
  // A failed system call: the code follows errno (ENOSPC -> kResourceExhausted,
  // ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied, else kInternal), the
  // message names the call and strerror, and sys_errno() keeps the number.
  static Status FromErrno(int err, std::string_view what, std::string_view ctx = {});

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : ""; }
  std::string_view context() const { return rep_ ? std::string_view(rep_->context) : ""; }
  int sys_errno() const { return rep_ ? rep_->sys_errno : 0; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsCorruption() const { return code() == StatusCode::kDataLoss; }
  // Disk full: ENOSPC or EDQUOT.
  bool IsNoSpace() const;

  // Returns a copy whose context is "prefix: <old context>" (or prefix alone).
  Status WithContext(std::string_view prefix) const;

  // "invalid_argument: message (context)", or "ok".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message() && a.context() == b.context();
  }

  // Marks the status as deliberately ignored.
  void IgnoreError() const {}

 private:
  struct Rep {
    StatusCode code;
    int sys_errno;
    std::string message;
    std::string context;
  };
  std::unique_ptr<Rep> rep_;
};

}  // namespace strix

#define STRIX_STATUS_CONCAT_INNER(a, b) a##b
#define STRIX_STATUS_CONCAT(a, b) STRIX_STATUS_CONCAT_INNER(a, b)

// Evaluates expr (a Status); returns it from the enclosing function if it is an error.
#define STRIX_RETURN_IF_ERROR(expr)                        \
  do {                                                     \
    ::strix::Status strix_status_tmp_ = (expr);            \
    if (!strix_status_tmp_.ok()) return strix_status_tmp_; \
  } while (0)
