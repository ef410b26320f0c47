// The HTTP server: owns the listener, the request pipeline (spec §2.1) and the services handlers
// use. main.cc only wires configuration to it, so every behaviour is reachable from a test.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "server/accounts/auth.h"
#include "server/accounts/rate_limiter.h"
#include "server/admin/abuse.h"
#include "server/app/config.h"
#include "server/detection/detection.h"
#include "server/halt/halt.h"
#include "server/http/metrics.h"
#include "server/http/pipeline.h"
#include "server/http/request.h"
#include "server/http/server.h"
#include "server/ops/alerts.h"
#include "server/ops/retention.h"
#include "server/webhooks/webhooks.h"
#include "storage/store.h"

namespace vigil {

struct HaltOutcome {
  bool exists = false;
  int notified = 0;
  bool pending = false;
};

class App {
 public:
  App(Config config, std::unique_ptr<Store> store);
  ~App();

  // Binds the listener (port 0 picks a free one) and starts serving on a background thread.
  Status Start();
  int port() const { return port_; }
  // Graceful stop (SIGTERM): /health and new requests answer 503 "shutting down", in-flight
  // requests finish (bounded), the listener closes, the write queue drains, the WAL is
  // checkpointed. Idempotent.
  void Shutdown();

  Store& store() { return *store_; }
  const Config& config() const { return config_; }
  Authenticator& auth() { return auth_; }
  Detection& detection() { return detection_; }
  HaltRegistry& halts() { return halts_; }
  Metrics& metrics() { return metrics_; }
  WebhookService& webhooks() { return *webhooks_; }
  // Persists a halt for a non-terminal execution and wakes its live streams (spec §9.1). `audit`
  // (who asked) becomes the halt.request audit row, committed with the halt.
  Result<HaltOutcome> RequestHalt(int64_t project, const std::string& execution_id,
                                  const std::string& reason, int64_t now_ms, AuditEntry audit);
  RateLimiter& limiter() { return limiter_; }
  bool draining() const { return pipeline_->draining(); }
  const Pipeline& pipeline() const { return *pipeline_; }
  SignupLimiter& signup_limiter() { return signup_limiter_; }
  AbuseMonitor& abuse() { return *abuse_; }

 private:
  void RegisterWithHttp();

  Config config_;
  std::unique_ptr<Store> store_;
  Authenticator auth_;
  RateLimiter limiter_;
  SignupLimiter signup_limiter_;
  Detection detection_;
  HaltRegistry halts_;
  Metrics metrics_;
  std::unique_ptr<RetentionWorker> retention_;
  std::unique_ptr<AbuseMonitor> abuse_;
  AlertSink alerts_;
  std::unique_ptr<WebhookService> webhooks_;  // sender threads run between Start and Shutdown
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<httplib::Server> http_;     // an SSLServer when VIGIL_TLS_CERT/KEY are set
  std::thread listen_thread_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace vigil
