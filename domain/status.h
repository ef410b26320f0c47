// Errors are values. A Status says what went wrong in domain terms; exactly one place
// (server/http/errors.cc) turns it into an HTTP status and JSON envelope.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

enum class Code {
  kOk,
  kInvalidArgument,      // the caller sent something wrong; message is safe to show
  kNotFound,             // unknown resource (or another tenant's, indistinguishably)
  kMethodNotAllowed,     // the path exists, not with this method
  kConflict,             // state forbids the change (e.g. too many keys)
  kForbidden,            // authenticated but not allowed
  kUnauthenticated,      // any authentication failure; message never says which check failed
  kTooLarge,             // a size limit was exceeded
  kHeadersTooLarge,      // the request head was larger than its limit
  kRequestTimeout,       // the request did not arrive within its deadline
  kUriTooLong,           // the request target was longer than its limit
  kRangeNotSatisfiable,  // a Range header asked for bytes the response does not have
  kUnsupportedMedia,     // wrong Content-Type
  kRateLimited,          // token bucket empty
  kOverloaded,           // the server is shedding load or shutting down: retry later (no alert)
  kUnavailable,          // the server is busy or a dependency is down: retrying may help
  kStorageUnavailable,   // SQLite is busy or locked: retrying helps; its text is logged, never sent
  kStorageFull,     // the disk holding the database is full: retrying helps once space is freed
  kStorageFault,    // the database file cannot be read or written (I/O error, read-only file);
                    // its text is logged, never sent
  kStorageCorrupt,  // the database file is damaged or is not a database; logged, never sent
  kNotConfigured,   // the operator has not set up this feature: retrying does not help
  kBadGateway,      // an upstream service (Stripe) failed; its text is not passed on
  kInternal,        // a bug; message is logged, never sent
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return Status(Code::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Conflict(std::string m) { return Status(Code::kConflict, std::move(m)); }
  static Status Forbidden(std::string m) { return Status(Code::kForbidden, std::move(m)); }
  static Status Unauthenticated() { return Status(Code::kUnauthenticated, "unauthorized"); }
  static Status TooLarge(std::string m) { return Status(Code::kTooLarge, std::move(m)); }
  static Status UnsupportedMedia(std::string m) {
    return Status(Code::kUnsupportedMedia, std::move(m));
  }
  static Status RateLimited(std::string m) { return Status(Code::kRateLimited, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status Overloaded(std::string m) { return Status(Code::kOverloaded, std::move(m)); }
  static Status StorageFull(std::string m) { return Status(Code::kStorageFull, std::move(m)); }
  static Status StorageFault(std::string m) { return Status(Code::kStorageFault, std::move(m)); }
  static Status StorageCorrupt(std::string m) {
    return Status(Code::kStorageCorrupt, std::move(m));
  }
  static Status StorageUnavailable(std::string m) {
    return Status(Code::kStorageUnavailable, std::move(m));
  }
  static Status MethodNotAllowed(std::string m) {
    return Status(Code::kMethodNotAllowed, std::move(m));
  }
  static Status RequestTimeout(std::string m) {
    return Status(Code::kRequestTimeout, std::move(m));
  }
  static Status UriTooLong(std::string m) { return Status(Code::kUriTooLong, std::move(m)); }
  static Status RangeNotSatisfiable(std::string m) {
    return Status(Code::kRangeNotSatisfiable, std::move(m));
  }
  static Status HeadersTooLarge(std::string m) {
    return Status(Code::kHeadersTooLarge, std::move(m));
  }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  static Status NotConfigured(std::string m) { return Status(Code::kNotConfigured, std::move(m)); }
  static Status BadGateway(std::string m) { return Status(Code::kBadGateway, std::move(m)); }

  // The same error with `context` (what was being done, to what) put before its message.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Status(code_, context + message_);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: REQUIRES !status.ok()
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace vigil
