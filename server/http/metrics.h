// Process metrics in Prometheus text format 0.0.4 (docs/operations.md#metrics). Counters are in
// memory since the process started; no per-project labels (cardinality stays bounded by the route
// table).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace vigil {

class Metrics {
 public:
  // One finished HTTP request; `route` is the route pattern ("-" when none matched).
  void ObserveRequest(const std::string& route, const std::string& method, int status,
                      double seconds);
  void AddEvents(int64_t accepted, int64_t rejected, int64_t duplicates);
  void AddFinding(const std::string& failure_class);
  // The latest `vigil audit check` the server ran itself (docs/transparency.md#audit-check):
  // sealed records changed after sealing, and stored log hashes that do not match the entries.
  void SetTransparencyAudit(int64_t changed, int64_t log_faults);
  // One webhook delivery attempt: "delivered", "retrying" or "failed".
  void AddWebhookAttempt(const std::string& outcome);

  struct Gauges {
    int64_t write_queue = 0;
    int64_t halt_streams = 0;
    int64_t database_bytes = 0;
    int64_t wal_bytes = 0;
    int64_t webhook_outbox = 0;
    int64_t wal_bound_checkpoints = 0;
    int64_t wal_bound_misses = 0;
    int64_t event_id_merge_failures = 0;
    int64_t event_id_filter_bytes = 0;
    int64_t event_id_memory_bytes = 0;
    int64_t event_id_filter_failures = 0;
    int64_t audit_dropped = 0;
    int64_t abuse_signals = 0;
    int64_t slow_heads_cut = 0;   // connections answered 408: head not complete in time
    int64_t heads_too_large = 0;  // connections answered 431
  };
  // Renders every metric, with the gauges sampled by the caller.
  std::string Render(const Gauges& gauges) const;

 private:
  // REQUIRES: mu_ held.
  void RenderRequests(std::string* out, int64_t* throttled, int64_t* unavailable) const;
  void RenderLatency(std::string* out) const;
  static void RenderGauges(std::string* out, const Gauges& g);
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,  0.1,    0.25,  1,    5};
  struct Histogram {
    std::array<int64_t, kBuckets.size()> counts{};
    int64_t total = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;         // by route
  std::map<std::string, int64_t> findings_;          // by failure class
  std::map<std::string, int64_t> webhook_attempts_;  // by outcome
  std::atomic<int64_t> events_accepted_{0}, events_rejected_{0}, events_duplicates_{0};
  std::atomic<int64_t> tlog_changed_{-1}, tlog_faults_{-1};  // -1 until the first check
};

}  // namespace vigil
