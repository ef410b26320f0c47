// The HTTP server: owns the listener, the request pipeline (docs/api.md#request-pipeline) and the
// services handlers use. main.cc only wires configuration to it, so every behaviour is reachable
// from a test.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/accounts/auth.h"
#include "server/accounts/rate_limiter.h"
#include "server/admin/abuse.h"
#include "server/app/config.h"
#include "server/detection/detection.h"
#include "server/halt/halt.h"
#include "server/halt/service.h"
#include "server/http/front.h"
#include "server/http/metrics.h"
#include "server/http/peer_watch.h"
#include "server/http/pipeline.h"
#include "server/http/request.h"
#include "server/ops/alerts.h"
#include "server/ops/retention.h"
#include "server/routes.h"
#include "server/transparency/sealer.h"
#include "server/transparency/transparency.h"
#include "server/webhooks/webhooks.h"
#include "storage/store.h"

namespace vigil {

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

  // The route table, bound to this App's handlers (tests drive handlers through it).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  void WireServices();
  std::unique_ptr<FeatureHandlers> MakeHandlers();

  Config config_;
  std::unique_ptr<Store> store_;
  Authenticator auth_;
  RateLimiter limiter_;
  SignupLimiter signup_limiter_;
  Detection detection_;
  Transparency transparency_;
  std::unique_ptr<Sealer> sealer_;  // its thread runs between Start and Shutdown
  HaltRegistry halts_;
  HaltService halt_service_;
  PeerWatch peers_;  // outlives the handlers, whose halt streams it watches
  Metrics metrics_;
  std::unique_ptr<RetentionWorker> retention_;
  std::unique_ptr<AbuseMonitor> abuse_;
  AlertSink alerts_;
  std::unique_ptr<WebhookService> webhooks_;  // sender threads run between Start and Shutdown
  DrainSignal drain_;
  std::unique_ptr<FeatureHandlers> handlers_;
  std::vector<Route> routes_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<HttpFront> front_;  // terminates TLS itself when VIGIL_TLS_CERT/KEY are set
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace vigil
