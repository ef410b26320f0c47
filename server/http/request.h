// What a handler sees of one HTTP request, and the one place a Status becomes an HTTP response.
//
// A RequestContext lives for one request, from the moment its head is read until its response
// has been written and logged (server/http/pipeline.h owns it). Everything that concerns the one
// request — who asked, which route matched, which error was sent — is on it, never in
// thread-local state, so any code that handles a request can be called from a test with a
// context it built itself.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.h"
#include "domain/status.h"
#include "server/codec/json_writer.h"
#include "storage/store.h"

namespace vigil {

struct Route;

struct ErrorResponse;

// A route's own error body (an OTLP route answers google.rpc.Status in the request's encoding):
// rewrites `response`'s body and Content-Type, keeping its status code and headers.
using ErrorBody = void (*)(const Status& status, const httplib::Request& req,
                           ErrorResponse* response);

// Where a streamed response body goes (server/http/response_writer.h writes it as chunks).
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // Sends `data` as one chunk; false once the client has gone (the producer should stop).
  virtual bool Write(std::string_view data) = 0;
  // Ends the body cleanly (the final chunk). Without it, a producer that stops leaves the body
  // cut short, which the client sees as a truncated transfer.
  virtual void Done() = 0;
  virtual bool done() const = 0;
};

// A response body produced after the handler returns, on the thread that writes the response.
struct StreamBody {
  std::string content_type;
  // Called again and again until it calls sink.Done() or returns false (the body ends early).
  std::function<bool(ChunkSink& sink)> next;
  // Runs once when the stream ends, however it ended (releases what the stream holds).
  std::function<void()> on_end;
};

struct RequestContext {
  const httplib::Request* req = nullptr;
  httplib::Response* res = nullptr;
  std::vector<std::string> params;  // URL-decoded `{id}` segments, in order
  AuthRecord auth;                  // set on API-key routes
  int64_t now_ms = 0;
  std::string body;  // the request body (routes that take one), as sent
  // The body's Content-Encoding, lower-cased ("" for none or identity). The pipeline takes it off
  // the request before reading the body, so `body` holds the encoded bytes; only routes that
  // decode bodies themselves (BodyUse::kTyped) accept one.
  std::string content_encoding;
  // Audit (docs/api.md#audit-log): who is calling (an API key or the admin token; none for an
  // unauthenticated route), and the project an admin request acted on (internal id, 0 = none),
  // so admin actions appear in that project's log.
  std::optional<Actor> actor;
  int64_t audit_project = 0;

  // Set by the pipeline for the request log, the metrics and the audit row.
  std::string request_id;
  std::chrono::steady_clock::time_point start;
  const char* route = "-";  // the matched route's pattern (static storage)
  std::string client_ip;    // the socket peer, or the trusted proxy header's address
  std::string key_id;       // the authenticated key, or "admin"
  Code error = Code::kOk;   // the code of the error response sent, if one was
  // The server-side detail of that error (SQLite's text, a bug's message) for the request's log
  // line only; empty for a client's own mistakes, whose message the response already carries.
  std::string error_text;
  // The connection's socket (-1 when none, as in tests): a halt stream watches it for the
  // client's close.
  int connection_fd = -1;
  // Set by a handler whose response is produced after it returns (downloads, halt streams).
  StreamBody stream;
  const Route* matched = nullptr;  // the route, once routing found one
  // The route's error body, set from the request's path before the body is read, so the
  // pipeline's own refusals (size, load, auth, rate limit) speak the route's format too.
  ErrorBody error_body = nullptr;

  // Query parameter or "" when absent.
  std::string Query(const char* name) const;
  // A pagination parameter (docs/api.md#lists-and-pagination): missing or non-integer => `def`;
  // out of range => clamped.
  int64_t PageParam(const char* name, int64_t def, int64_t lo, int64_t hi) const;
  // An optional RFC 3339 query parameter; InvalidArgument names it when malformed.
  Status TimeParam(const char* name, std::optional<int64_t>* out) const;
};

// Writes `{"ok":true,...}` bodies built by the caller.
void SendJson(httplib::Response& res, int http_status, const std::string& json);

// The single Status -> HTTP mapping: status code, `{"ok":false,"error":...}` envelope and the
// headers that go with it (Retry-After on 503/429, WWW-Authenticate on 401). Internal and storage
// errors are sent as a generic text; their detail never reaches a client.
struct ErrorResponse {
  int http_status = 500;
  std::string message;  // what the client may read (the body's text)
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};
ErrorResponse MapError(const Status& status);
int HttpStatusFor(Code code);
// True for the codes of the server's own failures (internal and storage errors): their message is
// written to the request's log line.
bool LogsErrorText(Code code);

// Sends MapError(status), in the route's own error body when it names one (ctx.error_body), and
// records its code on the context (the request log and the alert sink tell shed load from failures
// by it), and for the server's own failures its message (the log line carries it).
void SendError(RequestContext& ctx, const Status& status);
// For the few answers given before a request has a context (the front's refusals of a head).
void SendError(httplib::Response& res, const Status& status);
// The error a refusal by the HTTP front itself (framing, deadlines, sizes, load) with this status
// code stands for. Codes without a Code of their own (421, 501, 505) map to InvalidArgument; the
// front then keeps their number on the envelope.
Status StatusForHttpRefusal(int http_status, std::string message);

// Answers one request whose route matched and whose pipeline steps all passed.
using RouteHandler = std::function<void(RequestContext& ctx)>;

}  // namespace vigil
