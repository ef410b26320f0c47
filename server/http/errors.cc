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
    case Code::kConflict:
      return 409;
    case Code::kTooLarge:
      return 413;
    case Code::kUnsupportedMedia:
      return 415;
    case Code::kRateLimited:
      return 429;
    case Code::kOverloaded:
    case Code::kUnavailable:
    case Code::kStorageFull:
    case Code::kNotConfigured:
      return 503;
    case Code::kInternal:
      return 500;
    case Code::kBadGateway:
      return 502;
  }
  return 500;
}

namespace {
thread_local Code t_last_error = Code::kOk;
}  // namespace

Code LastErrorCode() { return t_last_error; }
void ResetLastErrorCode() { t_last_error = Code::kOk; }

void SendError(httplib::Response& res, const Status& status) {
  t_last_error = status.code();
  const int http = HttpStatusFor(status.code());
  std::string message = status.message();
  if (status.code() == Code::kInternal) message = "internal error";
  if (status.code() == Code::kUnavailable && message.rfind("storage unavailable", 0) == 0) {
    message = "storage unavailable, retry later";  // the SQLite text stays in the log
  }
  if (status.code() == Code::kStorageFull) {
    // The operator has to free space; say so in the log, at most once per interval.
    static std::atomic<int64_t> last_logged_ms{0};
    const int64_t now_ms = NowMs();
    int64_t last = last_logged_ms.load();
    if (now_ms - last >= limits::kStorageFullLogIntervalMs &&
        last_logged_ms.compare_exchange_strong(last, now_ms)) {
      log::Error("storage full: ingestion refused until space is freed",
                 {log::Str("detail", message)});
    }
    message = "storage full, retry later";
    res.set_header("Retry-After", std::to_string(limits::kStorageFullRetryAfterSec));
  }
  if (status.code() == Code::kUnauthenticated) {
    message = "unauthorized";
    res.set_header("WWW-Authenticate", "Bearer");
  }
  // Retrying helps with overload and draining, not with a feature the operator has not set up.
  if ((status.code() == Code::kUnavailable || status.code() == Code::kOverloaded) &&
      !res.has_header("Retry-After")) {
    res.set_header("Retry-After", "1");
  }
  JsonWriter w;
  w.BeginObject().Field("ok", false).Field("error", message).EndObject();
  SendJson(res, http, w.Take());
}

}  // namespace vigil
