#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "domain/time_util.h"
#include "server/http/log.h"
#include "server/http/request.h"
#include "server/limits.h"

namespace vigil {

std::string RequestContext::Query(const char* name) const {
  return req->has_param(name) ? req->get_param_value(name) : std::string();
}

int64_t RequestContext::PageParam(const char* name, int64_t def, int64_t lo, int64_t hi) const {
  const std::string v = Query(name);
  if (v.empty() || v.size() > 18) return def;
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (*end != '\0') return def;
  return std::max<int64_t>(lo, std::min<int64_t>(hi, n));
}

Status RequestContext::TimeParam(const char* name, std::optional<int64_t>* out) const {
  const std::string v = Query(name);
  if (v.empty()) return Status::Ok();
  auto ms = ParseRfc3339Ms(v);
  if (!ms) {
    return Status::InvalidArgument("invalid " + std::string(name) +
                                   ": must be an RFC 3339 timestamp");
  }
  *out = *ms;
  return Status::Ok();
}

void SendJson(httplib::Response& res, int http_status, const std::string& json) {
  res.status = http_status;
  res.set_content(json, "application/json");
}

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kRequestTimeout:
      return 408;
    case Code::kConflict:
      return 409;
    case Code::kTooLarge:
      return 413;
    case Code::kUriTooLong:
      return 414;
    case Code::kRangeNotSatisfiable:
      return 416;
    case Code::kUnsupportedMedia:
      return 415;
    case Code::kRateLimited:
      return 429;
    case Code::kHeadersTooLarge:
      return 431;
    case Code::kOverloaded:
    case Code::kUnavailable:
    case Code::kStorageUnavailable:
    case Code::kStorageFull:
    case Code::kStorageFault:
    case Code::kNotConfigured:
      return 503;
    // A damaged file is not something a retry fixes: a server error, while /health says why.
    case Code::kStorageCorrupt:
    case Code::kInternal:
      return 500;
    case Code::kBadGateway:
      return 502;
  }
  return 500;
}

namespace {

// The operator has to free space; say so in the log, at most once per interval.
void LogStorageFull(const std::string& detail) {
  static std::atomic<int64_t> last_logged_ms{0};
  const int64_t now_ms = NowMs();
  int64_t last = last_logged_ms.load();
  if (now_ms - last >= limits::kStorageFullLogIntervalMs &&
      last_logged_ms.compare_exchange_strong(last, now_ms)) {
    log::Error("storage full: ingestion refused until space is freed",
               {log::Str("detail", detail)});
  }
}

// What a client may read of an error: the message for its own mistakes, a fixed text for the
// server's (SQLite's and a bug's text stay in the log).
std::string ClientMessage(const Status& status) {
  switch (status.code()) {
    case Code::kInternal:
    case Code::kStorageCorrupt:
      return "internal error";
    case Code::kStorageUnavailable:
    case Code::kStorageFault:
      return "storage unavailable, retry later";
    case Code::kStorageFull:
      return "storage full, retry later";
    case Code::kUnauthenticated:
      return "unauthorized";
    default:
      return status.message();
  }
}

}  // namespace

ErrorResponse MapError(const Status& status) {
  ErrorResponse out;
  out.http_status = HttpStatusFor(status.code());
  switch (status.code()) {
    case Code::kStorageFull:
      LogStorageFull(status.message());
      out.headers.emplace_back("Retry-After", std::to_string(limits::kStorageFullRetryAfterSec));
      break;
    case Code::kUnauthenticated:
      out.headers.emplace_back("WWW-Authenticate", "Bearer");
      break;
    // Retrying helps with overload, draining and a busy database, not with a feature the operator
    // has not set up.
    case Code::kUnavailable:
    case Code::kStorageUnavailable:
    case Code::kStorageFault:
    case Code::kOverloaded:
      out.headers.emplace_back("Retry-After", "1");
      break;
    default:
      break;
  }
  out.message = ClientMessage(status);
  JsonWriter w;
  w.BeginObject().Field("ok", false).Field("error", out.message).EndObject();
  out.body = w.Take();
  return out;
}

namespace {

void SendErrorResponse(httplib::Response& res, const ErrorResponse& e) {
  for (auto& [name, value] : e.headers) {
    // A handler that knows better (a rate limit's own wait, a drain) has set it already.
    if (name == "Retry-After" && res.has_header("Retry-After")) continue;
    res.set_header(name, value);
  }
  res.status = e.http_status;
  res.set_content(e.body, e.content_type);
}

}  // namespace

void SendError(httplib::Response& res, const Status& status) {
  SendErrorResponse(res, MapError(status));
}

Status StatusForHttpRefusal(int http_status, std::string message) {
  switch (http_status) {
    case 408:
      return Status::RequestTimeout(std::move(message));
    case 413:
      return Status::TooLarge(std::move(message));
    case 414:
      return Status::UriTooLong(std::move(message));
    case 431:
      return Status::HeadersTooLarge(std::move(message));
    case 503:
      return Status::Overloaded(std::move(message));
    default:  // 400, and 421, 501, 505, which keep their own number on a 400's envelope
      return Status::InvalidArgument(std::move(message));
  }
}

// The server's own failures, whose text the request's log line carries (it is never sent).
bool LogsErrorText(Code code) {
  switch (code) {
    case Code::kInternal:
    case Code::kStorageUnavailable:
    case Code::kStorageFull:
    case Code::kStorageFault:
    case Code::kStorageCorrupt:
      return true;
    default:
      return false;
  }
}

void SendError(RequestContext& ctx, const Status& status) {
  ctx.error = status.code();
  if (LogsErrorText(status.code())) ctx.error_text = status.message();
  ErrorResponse e = MapError(status);
  if (ctx.error_body != nullptr) ctx.error_body(status, *ctx.req, &e);
  SendErrorResponse(*ctx.res, e);
}

}  // namespace vigil
