// The operator's public and token-guarded endpoints (docs/api.md#operations): GET /health,
// GET /metrics (Prometheus text) and GET /.well-known/security.txt.
#pragma once

#include <string>

#include "server/http/request.h"

namespace vigil {

class AbuseMonitor;
class HaltRegistry;
class Metrics;
class Store;

// What /health says about a storage fault (Store::Fault): "database is corrupt: <SQLite's text>"
// or "database is not writable: <SQLite's text>"; "" when `fault` is ok.
std::string HealthReason(const Status& fault);

class OpsHandlers {
 public:
  // Every reference must outlive the handlers. `security_txt` is the file served, "" = 404.
  OpsHandlers(Store& store, Metrics& metrics, HaltRegistry& streams, AbuseMonitor& abuse,
              std::string security_txt)
      : store_(store),
        metrics_(metrics),
        streams_(streams),
        abuse_(abuse),
        security_txt_(std::move(security_txt)) {}

  // 200 when the database can be read and the writer's last attempt wrote it; else 503 with the
  // reason (docs/api.md#health).
  void Health(RequestContext& ctx);
  void Scrape(RequestContext& ctx);
  void SecurityTxt(RequestContext& ctx);

 private:
  Store& store_;
  Metrics& metrics_;
  HaltRegistry& streams_;  // open stream count
  AbuseMonitor& abuse_;    // signal count
  const std::string security_txt_;
};

}  // namespace vigil
