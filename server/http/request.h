// What a handler sees of one HTTP request, and the one place a Status becomes an HTTP response.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"
#include "server/codec/json_writer.h"
#include "storage/store.h"

namespace vigil {

class App;

struct RequestContext {
  const httplib::Request* req = nullptr;
  httplib::Response* res = nullptr;
  std::vector<std::string> params;  // URL-decoded `{id}` segments, in order
  AuthRecord auth;                  // set on API-key routes
  int64_t now_ms = 0;
  std::string body;  // the request body (routes that take one)
  // Audit (spec §11): who is calling ("key" or "admin"), and the project an admin request acted
  // on (internal id, 0 = none), so admin actions appear in that project's log.
  std::string actor;
  int64_t audit_project = 0;

  // Query parameter or "" when absent.
  std::string Query(const char* name) const;
  // A pagination parameter (spec §2.4): missing or non-integer => `def`; out of range => clamped.
  int64_t PageParam(const char* name, int64_t def, int64_t lo, int64_t hi) const;
  // An optional RFC 3339 query parameter; InvalidArgument names it when malformed.
  Status TimeParam(const char* name, std::optional<int64_t>* out) const;
};

// Writes `{"ok":true,...}` bodies built by the caller.
void SendJson(httplib::Response& res, int http_status, const std::string& json);
// The single Status -> HTTP mapping: status code, `{"ok":false,"error":...}` envelope and the
// headers that go with it (Retry-After on 503/429, WWW-Authenticate on 401). Internal errors are
// logged by the caller and sent as "internal error"; storage text never reaches a client.
void SendError(httplib::Response& res, const Status& status);
int HttpStatusFor(Code code);
// The code of the last error SendError wrote on this thread since ResetLastErrorCode (kOk if
// none): lets the request log and the alert sink tell shed load from failures.
Code LastErrorCode();
void ResetLastErrorCode();

using Handler = void (*)(App& app, RequestContext& ctx);

}  // namespace vigil
