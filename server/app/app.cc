#include "server/app/app.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>

#include "domain/hash.h"
#include "domain/random.h"
#include "domain/time_util.h"
#include "server/audit/audit.h"
#include "server/http/log.h"
#include "server/http/router.h"
#include "server/http/server.h"
#include "server/limits.h"

namespace vigil {
namespace {

// State of the request being served on this worker thread. httplib runs the pre-routing hook, the
// handler and the logger for one request on the same thread, one request at a time.
struct RequestState {
  bool active = false;
  std::chrono::steady_clock::time_point start;
  std::string request_id;
  std::string route = "-";
  std::string project_id;
  std::string key_id;
  // Audit: set once the caller is authenticated ("key" or "admin"); the project is internal.
  std::string actor;
  int64_t project = 0;
  bool close_after = false;  // the body was not read: close gracefully after the response
};
thread_local RequestState t_state;

// Finds the connected socket of this request when the server does not know it (native TLS).
// Only used on the rare paths that must close a connection whose body was never read.
int FindSocket(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* d = readdir(dir)) {
    const int fd = std::atoi(d->d_name);
    if (fd <= 2) continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof(local), pl = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    auto port_of = [](const sockaddr_storage& a) {
      return a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port)
                                     : ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    };
    if (port_of(local) == req.local_port && port_of(peer) == req.remote_port) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

// Lingering close: after the response, stop sending and discard what the client still sends (up
// to a bound), so the response is not destroyed by a TCP reset. The body is never buffered.
void LingeringClose(int fd) {
  if (fd < 0) return;
  ::shutdown(fd, SHUT_WR);
  char buf[16384];
  size_t discarded = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (discarded < (64u << 20) && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    discarded += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_RD);
}

// Answers with `Connection: close`. `body_unread` = the request body is still on the wire, so the
// close must linger (see LingeringClose).
void ForceClose(const httplib::Request& req, bool body_unread) {
  auto& mut = const_cast<httplib::Request&>(req);  // httplib's own object; decides keep-alive
  mut.headers.erase("Connection");
  mut.headers.emplace("Connection", "close");
  t_state.close_after = body_unread;
}

// Content-Length as a number; malformed values count as 0 (httplib then reads no body).
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

std::string_view PathOf(const httplib::Request& req) {
  std::string_view t = req.target;
  return t.substr(0, t.find('?'));
}

}  // namespace

// HTTPS when a certificate and key are configured (self-hosting without a TLS proxy), with TLS
// 1.2 as the floor; plain HTTP otherwise.
std::unique_ptr<httplib::Server> MakeHttpServer(const Config& config) {
  if (config.tls_cert.empty()) return std::make_unique<GatedHttpServer>();
  auto tls = std::make_unique<httplib::SSLServer>(config.tls_cert.c_str(), config.tls_key.c_str());
  if (tls->is_valid()) SSL_CTX_set_min_proto_version(tls->ssl_context(), TLS1_2_VERSION);
  return tls;
}

App::App(Config config, std::unique_ptr<Store> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      auth_(store_.get(), static_cast<size_t>(config_.key_cache_size)),
      limiter_(config_.rate_limit_burst, config_.rate_limit_per_sec),
      detection_(store_.get(), config_.detectors, config_.default_policy),
      halts_(static_cast<size_t>(config_.sse_max),
             static_cast<size_t>(config_.sse_max_per_project)),
      alerts_(config_.alert_webhook_url),
      webhooks_(std::make_unique<WebhookService>(store_.get(), config_)),
      http_(MakeHttpServer(config_)) {
  // A new failure group queues its webhook messages in the transaction that creates it.
  detection_.SetOnGroupCreated([this](WriteTxn& txn, int64_t project, const std::string& project_id,
                                      const StoredFinding& finding, const std::string& execution_id,
                                      int64_t now_ms) {
    return webhooks_->OnGroupCreated(txn, project, project_id, finding, execution_id, now_ms);
  });
  detection_.SetMetrics(&metrics_);
  webhooks_->SetMetrics(&metrics_);
  AbuseOptions abuse;
  abuse.suspend = config_.abuse_suspend;
  abuse.suspend_after_s = config_.abuse_suspend_after_s;
  abuse.check_interval_s = config_.abuse_check_interval_s;
  abuse_ = std::make_unique<AbuseMonitor>(
      store_.get(), abuse,
      [this](int64_t project) {
        auth_.cache().EvictProject(project);  // the next request sees the suspension
      },
      [this](const std::string& kind, const std::string& signal_json) {
        alerts_.OnAbuseSignal(kind, signal_json);
        return alerts_.enabled();
      });
  detection_.SetAutoHalt([this](int64_t project, const std::string& execution_id,
                                const std::string& reason, int64_t now_ms) {
    AuditEntry audit;
    audit.time_ms = now_ms;
    audit.project = project;
    audit.actor = "system";
    auto r = RequestHalt(project, execution_id, reason, now_ms, std::move(audit));
    if (!r.ok()) {
      log::Warn("auto-halt not stored",
                {log::Str("execution_id", execution_id), log::Str("error", r.status().message())});
    }
  });
}

App::~App() { Shutdown(); }

Status App::Start() {
  if (!http_->is_valid()) {
    return Status::Unavailable("cannot load VIGIL_TLS_CERT / VIGIL_TLS_KEY");
  }
  auto& svr = *http_;
  const size_t threads = static_cast<size_t>(config_.http_threads);
  svr.new_task_queue = [threads] { return NewWorkerPool(threads, limits::kMaxPendingConnections); };
  // Nagle's algorithm delays small responses by up to 40 ms per request on keep-alive connections.
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(limits::kKeepAliveMaxRequests);
  svr.set_keep_alive_timeout(limits::kKeepAliveTimeoutSec);
  svr.set_read_timeout(limits::kReadTimeoutSec, 0);
  svr.set_write_timeout(limits::kWriteTimeoutSec, 0);
  svr.set_payload_max_length(static_cast<size_t>(config_.max_body_bytes));
  httplib::Headers defaults = {{"X-Content-Type-Options", "nosniff"}};
  if (config_.hsts || !config_.tls_cert.empty()) {
    defaults.emplace("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }
  svr.set_default_headers(defaults);
  svr.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return PreRoute(req, res); });
  // Every method goes through Dispatch. Methods that carry bodies use content-reader handlers so
  // the body is read by our code, under our limit, whatever the framing (httplib enforces its
  // payload limit on Content-Length bodies only, not on chunked ones).
  auto plain = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res, nullptr);
  };
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) { Dispatch(req, res, &reader); };
  svr.Get(".*", plain);
  svr.Options(".*", plain);
  svr.Post(".*", with_body);
  svr.Put(".*", with_body);
  svr.Patch(".*", with_body);
  svr.Delete(".*", with_body);
  svr.Delete(".*", plain);  // DELETE without a body
  // httplib's own refusals (malformed request line, chunked body over the limit) get the JSON
  // envelope too.
  httplib::Server::HandlerWithResponse on_error = [](const httplib::Request& req,
                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) {
      ForceClose(req, true);
      SendError(res, Status::TooLarge("request body too large"));
    } else if (res.status == 404) {
      SendError(res, Status::NotFound("not found"));
    } else {
      JsonWriter w;
      w.BeginObject()
          .Field("ok", false)
          .Field("error", httplib::detail::status_message(res.status));
      w.EndObject();
      res.set_content(w.Take(), "application/json");
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  svr.set_error_handler(std::move(on_error));
  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    AfterResponse(req, res);
  });
  const int port = config_.port == 0
                       ? svr.bind_to_any_port(config_.bind)
                       : (svr.bind_to_port(config_.bind, config_.port) ? config_.port : -1);
  if (port <= 0) {
    return Status::Unavailable("cannot listen on " + config_.bind + ":" +
                               std::to_string(config_.port));
  }
  port_ = port;
  listen_thread_ = std::thread([this] { http_->listen_after_bind(); });
  webhooks_->Start();
  retention_ =
      std::make_unique<RetentionWorker>(store_.get(), config_.retention_days,
                                        config_.audit_retention_days, config_.retention_interval_s);
  retention_->Start();
  abuse_->Start();
  alerts_.Start();
  return Status::Ok();
}

void App::Shutdown() {
  if (stopped_.exchange(true)) return;
  draining_ = true;
  halts_.CloseAll();  // halt streams end without a final frame
  // In-flight requests finish; new ones are answered 503 by the pipeline meanwhile.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(limits::kDrainTimeoutSec);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (http_ && http_->is_running()) http_->stop();
  if (listen_thread_.joinable()) listen_thread_.join();
  if (retention_) retention_->Stop();
  abuse_->Stop();
  alerts_.Stop();
  webhooks_->Stop();  // in-flight attempts are cut; their messages stay queued for the restart
  store_->Close();
}

httplib::Server::HandlerResponse App::PreRoute(const httplib::Request& req,
                                               httplib::Response& res) {
  // A request whose response was never written (client vanished mid-body) left its state here.
  if (t_state.active) in_flight_.fetch_sub(1);
  t_state = RequestState();
  t_state.active = true;
  t_state.start = std::chrono::steady_clock::now();
  ResetLastErrorCode();
  t_state.request_id = RandomHex(8);
  in_flight_.fetch_add(1);
  res.set_header("X-Request-Id", t_state.request_id);
  using HR = httplib::Server::HandlerResponse;

  if (IsRejectWorker()) {
    ForceClose(req, HasBody(req));
    res.set_header("Retry-After", "1");
    SendError(res, Status::Overloaded("server busy, retry later"));
    return HR::Handled;
  }
  // Oversized bodies are refused from the headers alone: never buffered, whoever sends them.
  if (ContentLength(req) > static_cast<uint64_t>(config_.max_body_bytes)) {
    ForceClose(req, true);
    SendError(res, Status::TooLarge("request body too large (limit " +
                                    std::to_string(config_.max_body_bytes) + " bytes)"));
    return HR::Handled;
  }
  const std::string& m = req.method;
  if (m != "GET" && m != "HEAD" && m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE" &&
      m != "OPTIONS") {
    // Methods httplib has no handler table for are answered here (404/405 in JSON).
    if (HasBody(req)) ForceClose(req, true);
    const RouteMatch match = MatchRoute(Routes(), m, PathOf(req));
    if (match.path_known) {
      res.set_header("Allow", match.allow);
      JsonWriter w;
      w.BeginObject().Field("ok", false).Field("error", "method not allowed").EndObject();
      SendJson(res, 405, w.Take());
    } else {
      SendError(res, Status::NotFound("not found"));
    }
    return HR::Handled;
  }
  // HTTP/1.1: a request with neither Content-Length nor chunked framing has no body. httplib would
  // otherwise wait for the client to close the connection.
  if (!req.has_header("Content-Length") && !HasBody(req)) {
    const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
  }
  return HR::Unhandled;  // then Dispatch reads the (bounded) body and runs the route
}

void App::Dispatch(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader* reader) {
  AddCors(req, res);
  std::string body;
  if (reader) {
    // Read the whole body, refusing (not buffering) past the limit.
    const size_t max = static_cast<size_t>(config_.max_body_bytes);
    // One allocation for the whole body when its length is declared (a larger one was refused
    // before the body was read); it is only a hint, the limit below still holds.
    const std::string declared = req.get_header_value("Content-Length");
    if (!declared.empty())
      body.reserve(std::min<size_t>(std::strtoull(declared.c_str(), nullptr, 10), max));
    bool too_large = false;
    const bool read_ok = (*reader)([&](const char* data, size_t len) {
      if (body.size() + len > max) {
        too_large = true;
        return false;
      }
      body.append(data, len);
      return true;
    });
    if (too_large) {
      ForceClose(req, true);
      return SendError(res, Status::TooLarge("request body too large (limit " +
                                             std::to_string(max) + " bytes)"));
    }
    if (!read_ok && RequestDeadlinePassed()) {
      ForceClose(req, false);
      JsonWriter w;
      w.BeginObject()
          .Field("ok", false)
          .Field("error", "request body not received within " +
                              std::to_string(limits::kRequestBodyTimeoutSec) + " s")
          .EndObject();
      return SendJson(res, 408, w.Take());
    }
    if (!read_ok) {
      ForceClose(req, false);
      return SendError(res, Status::InvalidArgument("invalid request body"));
    }
  }
  if (draining_) {
    ForceClose(req, false);
    res.set_header("Retry-After", "5");
    SendError(res, Status::Overloaded("shutting down"));
    return;
  }
  if (req.method == "OPTIONS") {  // CORS preflight: before routing and auth
    res.status = 204;
    return;
  }
  const RouteMatch match = MatchRoute(Routes(), req.method, PathOf(req));
  if (!match.route) {
    if (match.path_known) {
      res.set_header("Allow", match.allow);
      JsonWriter w;
      w.BeginObject().Field("ok", false).Field("error", "method not allowed").EndObject();
      SendJson(res, 405, w.Take());
    } else {
      SendError(res, Status::NotFound("not found"));
    }
    return;
  }
  const Route& route = *match.route;
  t_state.route = route.pattern;
  RequestContext ctx;
  ctx.req = &req;
  ctx.res = &res;
  ctx.params = match.params;
  ctx.now_ms = NowMs();
  ctx.body = reader ? std::move(body) : req.body;
  if (!RunPipeline(ctx, route)) return;
  try {
    route.handler(*this, ctx);
  } catch (const std::exception& e) {
    log::Error("handler threw", {log::Str("request_id", t_state.request_id),
                                 log::Str("route", t_state.route), log::Str("what", e.what())});
    SendError(res, Status::Internal(e.what()));
  }
  if (ctx.audit_project) t_state.project = ctx.audit_project;
}

bool App::RunPipeline(RequestContext& ctx, const Route& route) {
  const httplib::Request& req = *ctx.req;
  httplib::Response& res = *ctx.res;
  if (route.access == Access::kAdmin || route.access == Access::kMetrics) {
    // Its own chain: no API key, schema check or rate limit; fail closed without a token.
    const bool metrics = route.access == Access::kMetrics;
    const std::string& token =
        metrics && !config_.metrics_token.empty() ? config_.metrics_token : config_.admin_token;
    if (token.empty()) {
      SendError(res,
                Status::NotConfigured(metrics ? "metrics not configured" : "admin not configured"));
      return false;
    }
    // Compare fixed-length digests in constant time: the comparison leaks nothing about the token.
    const std::string want = Sha256Hex("Bearer " + token);
    const std::string got = Sha256Hex(req.get_header_value("Authorization"));
    if (CRYPTO_memcmp(want.data(), got.data(), want.size()) != 0) {
      SendError(res, Status::Unauthenticated());
      return false;
    }
    t_state.key_id = "admin";
    if (!metrics) {
      ctx.actor = "admin";
      t_state.actor = "admin";
    }
  }
  if (route.access == Access::kApiKey) {
    auto auth = auth_.Authenticate(req.get_header_value("Authorization"), ctx.now_ms);
    if (!auth.ok()) {
      SendError(res, auth.status());
      return false;
    }
    ctx.auth = auth.value();
    ctx.actor = "key";
    t_state.project_id = ctx.auth.project_id;
    t_state.key_id = ctx.auth.key_id;
    t_state.actor = "key";
    t_state.project = ctx.auth.project;
    const std::string ip = AuditText(ClientIp(req), limits::kMaxAuditIpBytes);
    abuse_->OnKeyUse(ctx.auth.project, ctx.auth.project_id, ctx.auth.key_id, ctx.auth.key_prefix,
                     ip, ctx.now_ms);
    abuse_->OnLargeBody(ctx.auth.project, ctx.auth.project_id,
                        static_cast<int64_t>(ctx.body.size()), req.method, AuditPath(req.target),
                        ctx.now_ms);
    if (ctx.auth.suspended) {
      SendError(res,
                Status::Forbidden(ctx.auth.suspended_reason.empty()
                                      ? "project suspended"
                                      : "project suspended (" + ctx.auth.suspended_reason + ")"));
      return false;
    }
    if (req.has_header("X-Mesedi-Schema-Version")) {
      const std::string v = req.get_header_value("X-Mesedi-Schema-Version");
      if (v != "1") {
        SendError(res, Status::InvalidArgument("unsupported X-Mesedi-Schema-Version " + v +
                                               " (this backend accepts: 1)"));
        return false;
      }
    }
    const RateDecision d = limiter_.Take(ctx.auth.project, route.bucket, ctx.now_ms,
                                         ctx.auth.rate_limit_burst, ctx.auth.rate_limit_per_sec);
    res.set_header("X-RateLimit-Limit", std::to_string(d.limit));
    res.set_header("X-RateLimit-Remaining", std::to_string(d.remaining));
    res.set_header("X-RateLimit-Reset", std::to_string(d.reset_unix_s));
    if (!d.allowed) {
      abuse_->OnRateLimited(ctx.auth.project, ctx.auth.project_id, req.method,
                            AuditPath(req.target), ctx.now_ms);
      res.set_header("Retry-After", std::to_string(d.retry_after_s));
      SendError(res, Status::RateLimited("rate limit exceeded for project " + ctx.auth.project_id));
      return false;
    }
  }
  // A request body must be JSON; an empty optional body may have no Content-Type.
  if (route.body != BodyUse::kNone && !ctx.body.empty()) {
    std::string ct = req.get_header_value("Content-Type");
    ct = ct.substr(0, ct.find(';'));
    while (!ct.empty() && ct.back() == ' ') ct.pop_back();
    for (auto& c : ct) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ct != "application/json") {
      SendError(res, Status::UnsupportedMedia("Content-Type must be application/json"));
      return false;
    }
  }
  return true;
}

void App::AddCors(const httplib::Request& req, httplib::Response& res) const {
  if (config_.cors_origins.empty() || !req.has_header("Origin")) return;
  const std::string origin = req.get_header_value("Origin");
  std::string_view list = config_.cors_origins;
  bool allowed = false;
  while (!list.empty() && !allowed) {
    const auto comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    allowed = !entry.empty() && OriginMatches(entry, origin);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  if (!allowed) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Credentials", "true");
  res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, X-Mesedi-Schema-Version");
  res.set_header("Access-Control-Expose-Headers",
                 "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After");
  res.set_header("Access-Control-Max-Age", "86400");
}

Result<HaltOutcome> App::RequestHalt(int64_t project, const std::string& execution_id,
                                     const std::string& reason, int64_t now_ms, AuditEntry audit) {
  HaltState state;
  Status s = store_->Write([&](WriteTxn& txn) {
    auto r = txn.RequestHalt(project, execution_id, reason, now_ms);
    if (!r.ok()) return r.status();
    state = r.value();
    if (!state.exists) return Status::Ok();
    JsonWriter detail;
    detail.BeginObject()
        .Field("execution_id", execution_id)
        .Field("reason", reason)
        .Field("terminal", state.terminal)
        .EndObject();
    audit.action = "halt.request";
    audit.detail_json = detail.Take();
    return txn.InsertAudit(audit);
  });
  if (!s.ok()) return s;
  HaltOutcome out;
  out.exists = state.exists;
  if (!state.exists) return out;
  // Persisted (and committed) first, then announced: a stream that subscribes in between reads
  // the persisted halt, one that subscribed earlier is notified.
  out.notified = halts_.Notify(project, execution_id, reason);
  out.pending = !state.terminal && out.notified == 0;
  return out;
}

std::string App::ClientIp(const httplib::Request& req) const {
  if (config_.trusted_proxy_header.empty()) return req.remote_addr;
  std::string v = req.get_header_value(config_.trusted_proxy_header.c_str());
  if (v.empty()) return req.remote_addr;
  // For X-Forwarded-For the proxy appends the address it saw: only the rightmost entry is
  // trustworthy; anything to its left came from the client.
  const auto comma = v.rfind(',');
  if (comma != std::string::npos) v = v.substr(comma + 1);
  const auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
  return b == std::string::npos ? req.remote_addr : v.substr(b, e - b + 1);
}

void App::AfterResponse(const httplib::Request& req, const httplib::Response& res) {
  if (!t_state.active) return;  // httplib answered before our pipeline saw the request
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t_state.start)
                      .count();
  std::vector<log::Field> fields = {
      log::Str("request_id", t_state.request_id),
      log::Str("method", req.method),
      log::Str("path", std::string(PathOf(req))),
      log::Str("route", t_state.route),
      log::Num("status", res.status),
      log::Num("duration_us", us),
      log::Str("client_ip", AuditText(ClientIp(req), limits::kMaxAuditIpBytes))};
  if (!t_state.project_id.empty()) fields.push_back(log::Str("project_id", t_state.project_id));
  if (!t_state.key_id.empty()) fields.push_back(log::Str("key_id", t_state.key_id));
  metrics_.ObserveRequest(t_state.route, req.method, res.status, us / 1e6);
  if (res.status >= 500) {
    log::Warn("request", fields);
    // Shed load and shutdown are expected under pressure; every other 5xx pages the operator.
    if (LastErrorCode() != Code::kOverloaded) {
      AlertSink::ServerError e;
      e.status = res.status;
      e.method = req.method;
      e.route = t_state.route;
      e.path = std::string(PathOf(req));
      e.host = req.get_header_value("Host");
      e.project_id = t_state.project_id;
      e.duration_ms = us / 1000;
      e.now_ms = NowMs();
      alerts_.OnServerError(e);
    }
  } else {
    log::Info("request", fields);
  }
  if (!t_state.actor.empty()) {
    // Every authenticated request leaves an audit row (spec §11), queued for the writer's next
    // group: never a synchronous write per request.
    AuditEntry e;
    e.time_ms = NowMs();
    e.project = t_state.project;
    e.actor = t_state.actor;
    if (e.actor == "key") e.key_id = t_state.key_id;
    e.action = e.actor == "admin" ? "admin.request" : "request";
    e.method = req.method;
    e.path = AuditPath(req.target);
    e.status = res.status;
    e.client_ip = AuditText(ClientIp(req), limits::kMaxAuditIpBytes);
    store_->AppendAudit(std::move(e));
  }
  if (t_state.close_after) {
    const int fd = CurrentConnectionSocket();
    LingeringClose(fd >= 0 ? fd : FindSocket(req));
  }
  t_state.active = false;
  in_flight_.fetch_sub(1);
}

}  // namespace vigil
