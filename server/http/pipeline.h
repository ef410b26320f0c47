// The request pipeline: the named steps every request passes through, in one list
// (server/http/pipeline.cc, kBeforeBody and kAfterBody), before its route's handler runs, and the
// request log, metrics and audit row after its response.
//
// httplib calls the pipeline three times per request on one worker thread: BeforeBody from its
// pre-routing hook (only the head has been read), Dispatch from its handler (the body can be read
// through `reader`), and AfterResponse from its logger (the response has been written). The
// pipeline owns the request's RequestContext across the three calls.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/accounts/rate_limiter.h"
#include "server/http/drain.h"
#include "server/http/request.h"
#include "server/http/router.h"
#include "server/limits.h"

namespace vigil {

class AbuseMonitor;
class AlertSink;
class Authenticator;
class Metrics;
class Store;

struct PipelineOptions {
  int64_t max_body_bytes = 0;
  std::string cors_origins;          // comma-separated; `*` matches one run of [A-Za-z0-9-]
  std::string admin_token;           // "" = admin routes answer 503
  std::string metrics_token;         // "" = /metrics takes the admin token
  std::string trusted_proxy_header;  // "" = the socket peer is the client
};

// What the pipeline's steps use. Every pointer must outlive the pipeline.
struct PipelineServices {
  Authenticator* auth = nullptr;
  RateLimiter* limiter = nullptr;
  AbuseMonitor* abuse = nullptr;  // key use, large bodies, rate-limit hits
  Metrics* metrics = nullptr;
  AlertSink* alerts = nullptr;   // unexpected 5xx
  Store* store = nullptr;        // audit rows
  DrainSignal* drain = nullptr;  // set: every request is answered 503 "shutting down"
};

// The last entry of a header's comma-separated list, read across all of its lines, trimmed; "" when
// that entry is empty or the header is absent.
std::string RightmostListEntry(const std::vector<std::string>& lines);

// Runs the matched route's handler.
using Invoke = std::function<void(const Route& route, RequestContext& ctx)>;

class Pipeline {
 public:
  Pipeline(PipelineOptions options, PipelineServices services, const std::vector<Route>* routes,
           Invoke invoke);

  // httplib's pre-routing hook: Handled when a step answered from the head alone.
  httplib::Server::HandlerResponse BeforeBody(const httplib::Request& req, httplib::Response& res);
  // httplib's handler for every method: reads the body, routes, runs the steps and the handler.
  void Dispatch(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* reader);
  // httplib's error handler: its own refusals (malformed request line, chunked body over the
  // limit, bad Range) get the JSON envelope too. Unhandled when a response body is already set.
  httplib::Server::HandlerResponse AnswerHttpError(const httplib::Request& req,
                                                   httplib::Response& res);
  // httplib's logger: the request log, metrics, the audit row, the lingering close.
  void AfterResponse(const httplib::Request& req, const httplib::Response& res);

  // Requests whose response has not been written yet.
  int in_flight() const { return in_flight_.load(); }
  // The client address: the socket peer, or the trusted proxy header when configured.
  std::string ClientIp(const httplib::Request& req) const;

  // One named step. It returns false when it has answered the request (the rest is skipped).
  struct Step {
    const char* name;
    bool (Pipeline::*run)(RequestContext& ctx);
  };

 private:
  // The named steps, in order (defined in pipeline.cc).
  static const Step kBeforeBody[];
  static const Step kAfterBody[];
  bool RejectWhenBacklogFull(RequestContext& ctx);
  bool RefuseDeclaredOversize(RequestContext& ctx);
  bool AnswerUnknownMethod(RequestContext& ctx);
  bool AssumeEmptyBody(RequestContext& ctx);
  bool AddCors(RequestContext& ctx);
  void LiftContentEncoding(RequestContext& ctx);
  bool ReadBody(RequestContext& ctx);
  bool RefuseWhileDraining(RequestContext& ctx);
  bool AnswerPreflight(RequestContext& ctx);
  bool MatchRouteStep(RequestContext& ctx);
  bool CheckAdminToken(RequestContext& ctx);
  bool AuthenticateKey(RequestContext& ctx);
  bool RefuseSuspended(RequestContext& ctx);
  bool CheckSchemaVersion(RequestContext& ctx);
  bool TakeRateLimit(RequestContext& ctx);
  bool RequireJsonBody(RequestContext& ctx);

  // The request's context, created by BeforeBody, removed by AfterResponse.
  RequestContext& Begin(const httplib::Request& req, httplib::Response& res);
  RequestContext* Find(const httplib::Request& req);
  std::unique_ptr<RequestContext> Finish(const httplib::Request& req);
  void LogRequest(const RequestContext& ctx, const httplib::Response& res, int64_t duration_us);
  void AuditRequest(const RequestContext& ctx, const httplib::Response& res);

  PipelineOptions options_;
  PipelineServices services_;
  const std::vector<Route>* routes_;
  Invoke invoke_;
  std::atomic<int> in_flight_{0};
  // Admin and metrics authentication attempts per client IP (failures use it up).
  AttemptThrottle admin_attempts_{limits::kAdminAuthFailureBurst, limits::kAdminAuthFailuresPerSec};
  // Keyed by httplib's request object, which lives from the pre-routing hook to the logger. A
  // request whose logger never ran (its client vanished mid-body) is replaced when the worker's
  // next request reuses the object, so the map holds at most one entry per worker.
  std::mutex requests_mu_;
  std::unordered_map<const httplib::Request*, std::unique_ptr<RequestContext>> requests_;
};

}  // namespace vigil
