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
#include "domain/tlog/cosignature.h"
#include "server/audit/audit.h"
#include "server/http/log.h"
#include "server/http/router.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/halts.h"

namespace vigil {

// The host naming the transparency logs: the setting, else the dashboard's host, else localhost.
std::string TransparencyHostOf(const Config& config) {
  if (!config.transparency_host.empty()) return config.transparency_host;
  std::string host = config.dashboard_url;
  const size_t scheme = host.find("://");
  if (scheme != std::string::npos) host = host.substr(scheme + 3);
  return host.empty() ? "localhost" : host;
}

// The configured witness keys (validated when the configuration was parsed).
std::vector<tlog::VerifierKey> WitnessKeysOf(const Config& config) {
  std::vector<tlog::VerifierKey> keys;
  for (const std::string& text : config.transparency_witnesses) {
    keys.push_back(tlog::ParseCosignerKey(text).value());
  }
  return keys;
}

// The host part of the dashboard URL ("" when none is configured): requests naming another
// authority in an absolute-form target are answered 421.
std::string DashboardHostOf(const Config& config) {
  std::string host = config.dashboard_url;
  const size_t scheme = host.find("://");
  if (scheme == std::string::npos) return "";
  host = host.substr(scheme + 3);
  return host.substr(0, host.find('/'));
}

App::App(Config config, std::unique_ptr<Store> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      auth_(store_.get(), static_cast<size_t>(config_.key_cache_size)),
      limiter_(config_.rate_limit_burst, config_.rate_limit_per_sec),
      detection_(store_.get(), config_.detectors, config_.default_policy),
      transparency_(store_.get(), SecretBoxFromConfig(config_), TransparencyHostOf(config_),
                    WitnessKeysOf(config_)),
      sealer_(std::make_unique<Sealer>(store_.get(), &detection_, &transparency_)),
      halts_(static_cast<size_t>(config_.sse_max),
             static_cast<size_t>(config_.sse_max_per_project)),
      halt_service_(*store_, halts_),
      alerts_(config_.alert_webhook_url),
      webhooks_(std::make_unique<WebhookService>(store_.get(), config_)) {
  WireServices();
  handlers_ = MakeHandlers();
  routes_ = BuildRoutes(*handlers_);
  PipelineOptions options;
  options.max_body_bytes = config_.max_body_bytes;
  options.cors_origins = config_.cors_origins;
  options.admin_token = config_.admin_token;
  options.metrics_token = config_.metrics_token;
  options.trusted_proxy_header = config_.trusted_proxy_header;
  PipelineServices services;
  services.auth = &auth_;
  services.limiter = &limiter_;
  services.metrics = &metrics_;
  services.alerts = &alerts_;
  services.store = store_.get();
  services.abuse = abuse_.get();
  services.drain = &drain_;
  pipeline_ = std::make_unique<Pipeline>(
      std::move(options), services, &routes_,
      [](const Route& route, RequestContext& ctx) { route.handler(ctx); });
}

// The services' callbacks into each other: detection queues webhooks and halts runaways, the abuse
// monitor drops suspended projects' cached keys and pages the operator.
void App::WireServices() {
  // A new failure group, or a resolved one that recurs, queues its webhook messages in the
  // transaction that creates or reopens it.
  detection_.SetOnGroupChange([this](WriteTxn& txn, int64_t project, const std::string& project_id,
                                     GroupChange change, const StoredFinding& finding,
                                     const std::string& execution_id, int64_t now_ms) {
    return webhooks_->OnGroupChange(txn, project, project_id, change, finding, execution_id,
                                    now_ms);
  });
  // Open halt streams check their key again as soon as a key or project changes.
  auth_.cache().OnEvict([this] { halts_.RecheckAll(); });
  detection_.SetMetrics(&metrics_);
  sealer_->SetMetrics(&metrics_, config_.transparency_audit_interval_s * 1000);
  // An execution whose final pass finished is sealed into its project's log.
  detection_.SetOnFinalPassDone([this](int64_t project, const std::string& execution_id) {
    sealer_->MarkReady(project, execution_id);
  });
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
    audit.actor = Actor::kSystem;
    auto r = halt_service_.Request(project, execution_id, reason, now_ms, std::move(audit));
    if (!r.ok()) {
      log::Warn("auto-halt not stored",
                {log::Str("execution_id", execution_id), log::Str("error", r.status().message())});
    }
  });
}

std::unique_ptr<FeatureHandlers> App::MakeHandlers() {
  Store& store = *store_;
  BillingSettings billing{config_.stripe_secret_key, config_.stripe_webhook_secret,
                          config_.stripe_pro_price_id, config_.stripe_api_base,
                          config_.dashboard_url};
  return std::make_unique<FeatureHandlers>(FeatureHandlers{
      OpsHandlers(store, metrics_, halts_, *abuse_, config_.security_txt),
      SignupHandlers(store, signup_limiter_, *abuse_, config_.signup, config_.key_prefix),
      KeyHandlers(store, auth_.cache(), config_.key_prefix),
      IngestHandlers(store, detection_, *abuse_, metrics_),
      OtlpHandlers(IngestHandlers(store, detection_, *abuse_, metrics_), metrics_,
                   static_cast<size_t>(config_.max_body_bytes)),
      ReadHandlers(store),
      HaltHandlers(halt_service_, halts_, store, peers_, auth_,
                   std::chrono::seconds(config_.sse_keepalive_s)),
      WebhookHandlers(store, *webhooks_),
      DetectionHandlers(store, detection_),
      AuditHandlers(store, drain_),
      BillingHandlers(store, std::move(billing)),
      AdminHandlers(store, auth_.cache(), limiter_, halts_),
      ExportHandlers(store, drain_, transparency_),
      UiHandlers(routes_),
      TransparencyHandlers(transparency_),
  });
}

App::~App() { Shutdown(); }

Status App::Start() {
  if (Status s = transparency_.LoadKey(NowMs()); !s.ok()) return s;
  FrontOptions options;
  options.bind = config_.bind;
  options.port = config_.port;
  options.threads = static_cast<size_t>(config_.http_threads);
  options.max_pending = limits::kMaxPendingConnections;
  options.max_connections = limits::kMaxConnections;
  options.max_body_bytes = static_cast<uint64_t>(config_.max_body_bytes);
  options.body_budget_bytes = limits::kMaxBufferedBodyBytes;
  options.tls_cert = config_.tls_cert;
  options.tls_key = config_.tls_key;
  options.default_headers = {{"X-Content-Type-Options", "nosniff"}};
  if (config_.hsts || !config_.tls_cert.empty()) {
    options.default_headers.emplace_back("Strict-Transport-Security",
                                         "max-age=31536000; includeSubDomains");
  }
  options.host = DashboardHostOf(config_);
  front_ = std::make_unique<HttpFront>(std::move(options), pipeline_.get());
  if (Status s = front_->Start(); !s.ok()) return s;
  port_ = front_->port();
  webhooks_->Start();
  if (!config_.dev_no_sealer) sealer_->Start();
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
  drain_.Start();
  halts_.CloseAll();  // halt streams end without a final frame
  // In-flight requests finish; new ones are answered 503 by the pipeline meanwhile.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(limits::kDrainTimeoutSec);
  while (pipeline_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (front_) front_->Stop();
  if (retention_) retention_->Stop();
  abuse_->Stop();
  alerts_.Stop();
  webhooks_->Stop();  // in-flight attempts are cut; their messages stay queued for the restart
  sealer_->Stop();    // what it did not seal stays queued for the restart
  store_->Close();
}

}  // namespace vigil
