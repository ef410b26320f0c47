// The request pipeline: the named steps every request passes through, in one list
// (server/http/pipeline.cc, kHeadSteps), before its route's handler runs, and the request log,
// metrics and audit row after its response.
//
// The front (server/http/front.h) owns each request's RequestContext and calls the pipeline in
// order: Begin once the head is parsed, CheckHead (which needs only the head, so the body is
// size- and auth-checked before it is accepted), Run once the body is whole, Finish once the
// response is written. Each call may come from a different thread (the front's loop or a worker),
// never two at once for one request.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
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

  // Starts a request whose head was parsed (ctx.req and ctx.res set): its id, client address,
  // route. It counts as in flight until Finish.
  void Begin(RequestContext& ctx);
  // The head steps: true when the request may go on (its body is read next); false when a step
  // has answered it.
  bool CheckHead(RequestContext& ctx);
  // The body is in ctx.body: runs the route's handler.
  void Run(RequestContext& ctx);
  // Answers `status` and asks for the connection to close (a refusal of the connection itself).
  void Refuse(RequestContext& ctx, const Status& status);
  // The response was written (or the client went): the request log, metrics, the audit row.
  void Finish(RequestContext& ctx);
  // The client went before the request was whole: it is no longer in flight, and not logged.
  void Abandon(RequestContext& ctx);

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
  static const Step kHeadSteps[];
  bool RefuseDeclaredOversize(RequestContext& ctx);
  bool AddCors(RequestContext& ctx);
  void LiftContentEncoding(RequestContext& ctx);
  bool RefuseWhileDraining(RequestContext& ctx);
  bool AnswerPreflight(RequestContext& ctx);
  bool MatchRouteStep(RequestContext& ctx);
  bool CheckAdminToken(RequestContext& ctx);
  bool AuthenticateKey(RequestContext& ctx);
  bool RefuseSuspended(RequestContext& ctx);
  bool CheckSchemaVersion(RequestContext& ctx);
  bool TakeRateLimit(RequestContext& ctx);
  bool RequireJsonBody(RequestContext& ctx);

  void LogRequest(const RequestContext& ctx, const httplib::Response& res, int64_t duration_us);
  void AuditRequest(const RequestContext& ctx, const httplib::Response& res);

  PipelineOptions options_;
  PipelineServices services_;
  const std::vector<Route>* routes_;
  Invoke invoke_;
  std::atomic<int> in_flight_{0};
  // Admin and metrics authentication attempts per client IP (failures use it up).
  AttemptThrottle admin_attempts_{limits::kAdminAuthFailureBurst, limits::kAdminAuthFailuresPerSec};
};

}  // namespace vigil
