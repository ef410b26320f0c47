#include "server/http/pipeline.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>

#include "domain/hash.h"
#include "domain/random.h"
#include "domain/time_util.h"
#include "server/accounts/auth.h"
#include "server/accounts/rate_limiter.h"
#include "server/admin/abuse.h"
#include "server/audit/audit.h"
#include "server/http/log.h"
#include "server/http/metrics.h"
#include "server/limits.h"
#include "server/ops/alerts.h"

namespace vigil {
namespace {

// Content-Length as a number (the front has refused malformed ones).
uint64_t ContentLength(const httplib::Request& req) {
  const std::string v = req.get_header_value("Content-Length");
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  return std::stoull(v);
}

bool HasBody(const httplib::Request& req) {
  return ContentLength(req) > 0 ||
         req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
}

// Answers with `Connection: close` (the front closes the connection after the response).
void ForceClose(RequestContext& ctx) { ctx.res->set_header("Connection", "close"); }

// `*` in an allowed origin matches one run of [A-Za-z0-9-].
bool OriginMatches(std::string_view pattern, std::string_view origin) {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == origin;
  const auto head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  if (origin.size() < head.size() + tail.size() + 1) return false;
  if (origin.substr(0, head.size()) != head) return false;
  if (origin.substr(origin.size() - tail.size()) != tail) return false;
  for (char c : origin.substr(head.size(), origin.size() - head.size() - tail.size())) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

bool OriginAllowed(std::string_view list, std::string_view origin) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (!entry.empty() && OriginMatches(entry, origin)) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

std::string_view PathOf(const httplib::Request& req) {
  std::string_view t = req.target;
  return t.substr(0, t.find('?'));
}

void AnswerNoRoute(RequestContext& ctx, const RouteMatch& match) {
  if (match.path_known) {
    ctx.res->set_header("Allow", match.allow);
    return SendError(ctx, Status::MethodNotAllowed("method not allowed"));
  }
  SendError(ctx, Status::NotFound("not found"));
}

std::string TooLargeMessage(int64_t max) {
  return "request body too large (limit " + std::to_string(max) + " bytes)";
}

}  // namespace

// The pipeline, in order. Head steps need only the request head, so a request is refused by
// size, auth, suspension or rate limit before its body is accepted (and before `100 Continue`);
// the front reads the body after them; the handler runs when every step let it through.
const Pipeline::Step Pipeline::kHeadSteps[] = {
    {"draining", &Pipeline::RefuseWhileDraining},          // 503 shutting down
    {"cors", &Pipeline::AddCors},                          // headers only, never refuses
    {"preflight", &Pipeline::AnswerPreflight},             // 204 for OPTIONS, before auth
    {"route", &Pipeline::MatchRouteStep},                  // 404 / 405 with Allow
    {"declared_size", &Pipeline::RefuseDeclaredOversize},  // 413 from Content-Length alone
    {"admin_token", &Pipeline::CheckAdminToken},           // admin and metrics routes: 401/503
    {"api_key", &Pipeline::AuthenticateKey},               // API-key routes: 401
    {"suspension", &Pipeline::RefuseSuspended},            // 403 for a suspended project
    {"schema_version", &Pipeline::CheckSchemaVersion},     // 400 for a schema other than 1
    {"rate_limit", &Pipeline::TakeRateLimit},              // 429 with X-RateLimit-*
    {"content_type", &Pipeline::RequireJsonBody},          // 415 for a body that is not JSON
};

Pipeline::Pipeline(PipelineOptions options, PipelineServices services,
                   const std::vector<Route>* routes, Invoke invoke)
    : options_(std::move(options)),
      services_(services),
      routes_(routes),
      invoke_(std::move(invoke)) {}

void Pipeline::Begin(RequestContext& ctx) {
  ctx.start = std::chrono::steady_clock::now();
  ctx.request_id = RandomHex(8);
  ctx.client_ip = ClientIp(*ctx.req);
  ctx.now_ms = NowMs();
  in_flight_.fetch_add(1);
  ctx.res->set_header("X-Request-Id", ctx.request_id);
  // Routed once, here: the route's error body then shapes every refusal that follows.
  RouteMatch match = MatchRoute(*routes_, ctx.req->method, PathOf(*ctx.req));
  if (match.route != nullptr) {
    ctx.matched = match.route;
    ctx.error_body = match.route->error_body;
    ctx.params = std::move(match.params);
  }
  LiftContentEncoding(ctx);
}

bool Pipeline::CheckHead(RequestContext& ctx) {
  ctx.now_ms = NowMs();
  for (const Step& step : kHeadSteps) {
    if (!(this->*step.run)(ctx)) return false;
  }
  return true;
}

void Pipeline::Run(RequestContext& ctx) {
  ctx.now_ms = NowMs();
  if (ctx.actor == Actor::kKey) {
    services_.abuse->OnLargeBody(ctx.auth.project, ctx.auth.project_id,
                                 static_cast<int64_t>(ctx.body.size()), ctx.req->method,
                                 AuditPath(ctx.req->target), ctx.now_ms);
  }
  try {
    invoke_(*ctx.matched, ctx);
  } catch (const std::exception& e) {
    log::Error("handler threw", {log::Str("request_id", ctx.request_id),
                                 log::Str("route", ctx.route), log::Str("what", e.what())});
    ctx.stream = StreamBody();
    SendError(ctx, Status::Internal(e.what()));
  }
  if (ctx.res->status == -1) ctx.res->status = 200;
}

void Pipeline::Refuse(RequestContext& ctx, const Status& status) {
  ForceClose(ctx);
  SendError(ctx, status);
}

bool Pipeline::RefuseDeclaredOversize(RequestContext& ctx) {
  // Refused from the headers alone: never buffered, whoever sends them.
  if (ContentLength(*ctx.req) <= static_cast<uint64_t>(options_.max_body_bytes)) return true;
  Refuse(ctx, Status::TooLarge(TooLargeMessage(options_.max_body_bytes)));
  return false;
}

bool Pipeline::AddCors(RequestContext& ctx) {
  if (options_.cors_origins.empty() || !ctx.req->has_header("Origin")) return true;
  const std::string origin = ctx.req->get_header_value("Origin");
  if (!OriginAllowed(options_.cors_origins, origin)) return true;
  httplib::Response& res = *ctx.res;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Credentials", "true");
  res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, X-Mesedi-Schema-Version");
  res.set_header("Access-Control-Expose-Headers",
                 "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After");
  res.set_header("Access-Control-Max-Age", "86400");
  return true;
}

// The body's encoding is moved from the request's headers to the context, so the body is kept as
// sent and the route decides: OTLP decodes gzip itself (server/otlp/gzip.h), every other route
// refuses an encoded body at the Content-Type step. The request object is the front's own
// non-const instance, lent to the handler as const.
void Pipeline::LiftContentEncoding(RequestContext& ctx) {
  auto& headers = const_cast<httplib::Request*>(ctx.req)->headers;
  auto it = headers.find("Content-Encoding");
  if (it == headers.end()) return;
  std::string encoding = it->second;
  for (auto& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!encoding.empty() && encoding.back() == ' ') encoding.pop_back();
  headers.erase("Content-Encoding");
  ctx.content_encoding = encoding == "identity" ? "" : encoding;
}

bool Pipeline::RefuseWhileDraining(RequestContext& ctx) {
  if (!services_.drain->on()) return true;
  ForceClose(ctx);
  ctx.res->set_header("Retry-After", "5");
  SendError(ctx, Status::Overloaded("shutting down"));
  return false;
}

bool Pipeline::AnswerPreflight(RequestContext& ctx) {
  if (ctx.req->method != "OPTIONS") return true;
  ctx.res->status = 204;  // CORS preflight: before routing and auth
  return false;
}

bool Pipeline::MatchRouteStep(RequestContext& ctx) {
  if (ctx.matched == nullptr) {
    RouteMatch match = MatchRoute(*routes_, ctx.req->method, PathOf(*ctx.req));
    if (!match.route) {
      AnswerNoRoute(ctx, match);
      return false;
    }
    ctx.matched = match.route;
    ctx.error_body = match.route->error_body;
    ctx.params = std::move(match.params);
  }
  ctx.route = ctx.matched->pattern;
  return true;
}

bool Pipeline::CheckAdminToken(RequestContext& ctx) {
  const Access access = ctx.matched->access;
  if (access != Access::kAdmin && access != Access::kMetrics) return true;
  // Its own chain: no API key, schema check or rate limit; fail closed without a token.
  const bool metrics = access == Access::kMetrics;
  const std::string& token =
      metrics && !options_.metrics_token.empty() ? options_.metrics_token : options_.admin_token;
  if (token.empty()) {
    SendError(ctx,
              Status::NotConfigured(metrics ? "metrics not configured" : "admin not configured"));
    return false;
  }
  // Every attempt takes a token before the comparison and a success gives it back, so guessing
  // is slow however many requests a client sends at once.
  if (const int64_t wait_s = admin_attempts_.Take(ctx.client_ip, ctx.now_ms)) {
    ctx.res->set_header("Retry-After", std::to_string(wait_s));
    SendError(ctx, Status::RateLimited("too many failed authentications. Try again later."));
    return false;
  }
  // Compare fixed-length digests in constant time: the comparison leaks nothing about the token.
  const std::string want = Sha256Hex("Bearer " + token);
  const std::string got = Sha256Hex(ctx.req->get_header_value("Authorization"));
  if (CRYPTO_memcmp(want.data(), got.data(), want.size()) != 0) {
    SendError(ctx, Status::Unauthenticated());
    return false;
  }
  admin_attempts_.Refund(ctx.client_ip);
  ctx.key_id = "admin";
  if (!metrics) ctx.actor = Actor::kAdmin;
  return true;
}

bool Pipeline::AuthenticateKey(RequestContext& ctx) {
  if (ctx.matched->access != Access::kApiKey) return true;
  auto auth = services_.auth->Authenticate(ctx.req->get_header_value("Authorization"), ctx.now_ms);
  if (!auth.ok()) {
    SendError(ctx, auth.status());
    return false;
  }
  ctx.auth = auth.value();
  ctx.actor = Actor::kKey;
  ctx.key_id = ctx.auth.key_id;
  const std::string ip = AuditText(ctx.client_ip, limits::kMaxAuditIpBytes);
  services_.abuse->OnKeyUse(ctx.auth.project, ctx.auth.project_id, ctx.auth.key_id,
                            ctx.auth.key_prefix, ip, ctx.now_ms);
  return true;
}

bool Pipeline::RefuseSuspended(RequestContext& ctx) {
  if (ctx.matched->access != Access::kApiKey || !ctx.auth.suspended) return true;
  const std::string& why = ctx.auth.suspended_reason;
  SendError(ctx, Status::Forbidden(why.empty() ? "project suspended"
                                               : "project suspended (" + why + ")"));
  return false;
}

bool Pipeline::CheckSchemaVersion(RequestContext& ctx) {
  if (ctx.matched->access != Access::kApiKey) return true;
  if (!ctx.req->has_header("X-Mesedi-Schema-Version")) return true;
  const std::string v = ctx.req->get_header_value("X-Mesedi-Schema-Version");
  if (v == "1") return true;
  SendError(ctx, Status::InvalidArgument("unsupported X-Mesedi-Schema-Version " + v +
                                         " (this backend accepts: 1)"));
  return false;
}

bool Pipeline::TakeRateLimit(RequestContext& ctx) {
  if (ctx.matched->access != Access::kApiKey) return true;
  const RateDecision d =
      services_.limiter->Take(ctx.auth.project, ctx.matched->bucket, ctx.now_ms,
                              ctx.auth.rate_limit_burst, ctx.auth.rate_limit_per_sec);
  httplib::Response& res = *ctx.res;
  res.set_header("X-RateLimit-Limit", std::to_string(d.limit));
  res.set_header("X-RateLimit-Remaining", std::to_string(d.remaining));
  res.set_header("X-RateLimit-Reset", std::to_string(d.reset_unix_s));
  if (d.allowed) return true;
  services_.abuse->OnRateLimited(ctx.auth.project, ctx.auth.project_id, ctx.req->method,
                                 AuditPath(ctx.req->target), ctx.now_ms);
  res.set_header("Retry-After", std::to_string(d.retry_after_s));
  SendError(ctx, Status::RateLimited("rate limit exceeded for project " + ctx.auth.project_id));
  return false;
}

bool Pipeline::RequireJsonBody(RequestContext& ctx) {
  // A request body must be JSON; an empty optional body may have no Content-Type.
  if (ctx.matched->body == BodyUse::kNone || ctx.matched->body == BodyUse::kTyped) return true;
  if (!ctx.content_encoding.empty()) {
    SendError(ctx, Status::UnsupportedMedia("Content-Encoding is not supported on this route"));
    return false;
  }
  if (!HasBody(*ctx.req)) return true;  // the front reads the body after this step
  std::string ct = ctx.req->get_header_value("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  for (auto& c : ct) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ct == "application/json") return true;
  SendError(ctx, Status::UnsupportedMedia("Content-Type must be application/json"));
  return false;
}

std::string RightmostListEntry(const std::vector<std::string>& lines) {
  // The lines of a repeated header form one comma-separated list (RFC 9110 §5.3), and a proxy
  // may append its own line after the client's: the list's last entry is the one it wrote.
  if (lines.empty()) return "";
  std::string v = lines.back();
  const auto comma = v.rfind(',');
  if (comma != std::string::npos) v = v.substr(comma + 1);
  const auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
}

std::string Pipeline::ClientIp(const httplib::Request& req) const {
  if (options_.trusted_proxy_header.empty()) return req.remote_addr;
  const char* name = options_.trusted_proxy_header.c_str();
  std::vector<std::string> lines;
  const size_t count = req.get_header_value_count(name);
  for (size_t i = 0; i < count; ++i) lines.push_back(req.get_header_value(name, i));
  std::string ip = RightmostListEntry(lines);
  return ip.empty() ? req.remote_addr : ip;
}

void Pipeline::Finish(RequestContext& ctx) {
  const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - ctx.start)
                         .count();
  LogRequest(ctx, *ctx.res, us);
  AuditRequest(ctx, *ctx.res);
  in_flight_.fetch_sub(1);
}

void Pipeline::Abandon(RequestContext&) { in_flight_.fetch_sub(1); }

void Pipeline::LogRequest(const RequestContext& ctx, const httplib::Response& res,
                          int64_t duration_us) {
  const httplib::Request& req = *ctx.req;
  std::vector<log::Field> fields = {
      log::Str("request_id", ctx.request_id),
      log::Str("method", req.method),
      log::Str("path", std::string(PathOf(req))),
      log::Str("route", ctx.route),
      log::Num("status", res.status),
      log::Num("duration_us", duration_us),
      log::Str("client_ip", AuditText(ctx.client_ip, limits::kMaxAuditIpBytes))};
  if (!ctx.auth.project_id.empty()) fields.push_back(log::Str("project_id", ctx.auth.project_id));
  if (!ctx.key_id.empty()) fields.push_back(log::Str("key_id", ctx.key_id));
  if (!ctx.error_text.empty()) fields.push_back(log::Str("error", ctx.error_text));
  services_.metrics->ObserveRequest(ctx.route, req.method, res.status, duration_us / 1e6);
  if (res.status < 500) return log::Info("request", fields);
  log::Warn("request", fields);
  // Shed load and shutdown are expected under pressure; every other 5xx pages the operator.
  if (ctx.error == Code::kOverloaded) return;
  AlertSink::ServerError e;
  e.status = res.status;
  e.method = req.method;
  e.route = ctx.route;
  e.path = std::string(PathOf(req));
  e.host = req.get_header_value("Host");
  e.project_id = ctx.auth.project_id;
  e.duration_ms = duration_us / 1000;
  e.now_ms = NowMs();
  services_.alerts->OnServerError(e);
}

void Pipeline::AuditRequest(const RequestContext& ctx, const httplib::Response& res) {
  if (!ctx.actor) return;
  // Every authenticated request leaves an audit row (docs/api.md#audit-log), queued for the
  // writer's next group: never a synchronous write per request.
  AuditEntry e;
  e.time_ms = NowMs();
  e.project = ctx.audit_project ? ctx.audit_project : ctx.auth.project;
  e.actor = *ctx.actor;
  if (e.actor == Actor::kKey) e.key_id = ctx.key_id;
  e.action = e.actor == Actor::kAdmin ? "admin.request" : "request";
  e.method = ctx.req->method;
  e.path = AuditPath(ctx.req->target);
  e.status = res.status;
  e.client_ip = AuditText(ctx.client_ip, limits::kMaxAuditIpBytes);
  services_.store->AppendAudit(std::move(e));
}

}  // namespace vigil
