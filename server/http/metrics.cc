#include "server/http/metrics.h"

#include <cstdio>

#include "server/codec/json_writer.h"

namespace vigil {
namespace {

// Label values are escaped as Prometheus requires (backslash, quote, newline).
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& route, const std::string& method, int status,
                             double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.total;
  h.sum += seconds;
}

void Metrics::AddEvents(int64_t accepted, int64_t rejected, int64_t duplicates) {
  events_accepted_ += accepted;
  events_rejected_ += rejected;
  events_duplicates_ += duplicates;
}

void Metrics::AddFinding(const std::string& failure_class) {
  std::lock_guard<std::mutex> lock(mu_);
  ++findings_[failure_class];
}

void Metrics::AddWebhookAttempt(const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++webhook_attempts_[outcome];
}

std::string Metrics::Render(const Gauges& g) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP vigil_http_requests_total HTTP requests by route, method and status.\n";
  out += "# TYPE vigil_http_requests_total counter\n";
  int64_t throttled = 0, unavailable = 0;
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += "vigil_http_requests_total{route=\"" + Label(route) + "\",method=\"" + Label(method) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    if (status == 429) throttled += n;
    if (status == 503) unavailable += n;
  }
  out += "# HELP vigil_http_request_duration_seconds Request latency by route.\n";
  out += "# TYPE vigil_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string r = "route=\"" + Label(route) + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += "vigil_http_request_duration_seconds_bucket{" + r + ",le=\"" + Num(kBuckets[i]) +
             "\"} " + std::to_string(h.counts[i]) + "\n";
    }
    out += "vigil_http_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} " +
           std::to_string(h.total) + "\n";
    out += "vigil_http_request_duration_seconds_sum{" + r + "} " + Num(h.sum) + "\n";
    out += "vigil_http_request_duration_seconds_count{" + r + "} " + std::to_string(h.total) + "\n";
  }
  out += "# HELP vigil_rate_limited_total Requests refused with 429.\n";
  out += "# TYPE vigil_rate_limited_total counter\nvigil_rate_limited_total " +
         std::to_string(throttled) + "\n";
  out += "# HELP vigil_unavailable_total Requests answered 503 (overload, draining, storage).\n";
  out += "# TYPE vigil_unavailable_total counter\nvigil_unavailable_total " +
         std::to_string(unavailable) + "\n";
  out +=
      "# HELP vigil_events_total Events received by result.\n# TYPE vigil_events_total counter\n";
  out +=
      "vigil_events_total{result=\"accepted\"} " + std::to_string(events_accepted_.load()) + "\n";
  out +=
      "vigil_events_total{result=\"rejected\"} " + std::to_string(events_rejected_.load()) + "\n";
  out += "vigil_events_total{result=\"duplicate\"} " + std::to_string(events_duplicates_.load()) +
         "\n";
  out += "# HELP vigil_findings_total Findings stored by failure class.\n";
  out += "# TYPE vigil_findings_total counter\n";
  for (const auto& [cls, n] : findings_) {
    out += "vigil_findings_total{failure_class=\"" + Label(cls) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP vigil_webhook_attempts_total Webhook delivery attempts by outcome.\n";
  out += "# TYPE vigil_webhook_attempts_total counter\n";
  for (const auto& [outcome, n] : webhook_attempts_) {
    out += "vigil_webhook_attempts_total{outcome=\"" + Label(outcome) + "\"} " + std::to_string(n) +
           "\n";
  }
  out += "# HELP vigil_webhook_outbox Webhook messages queued for delivery.\n";
  out += "# TYPE vigil_webhook_outbox gauge\nvigil_webhook_outbox " +
         std::to_string(g.webhook_outbox) + "\n";
  out += "# HELP vigil_write_queue_depth Write jobs waiting for the writer.\n";
  out += "# TYPE vigil_write_queue_depth gauge\nvigil_write_queue_depth " +
         std::to_string(g.write_queue) + "\n";
  out += "# HELP vigil_halt_streams Open halt streams.\n# TYPE vigil_halt_streams gauge\n";
  out += "vigil_halt_streams " + std::to_string(g.halt_streams) + "\n";
  out += "# HELP vigil_database_bytes Size of the database file.\n";
  out += "# TYPE vigil_database_bytes gauge\nvigil_database_bytes " +
         std::to_string(g.database_bytes) + "\n";
  out += "# HELP vigil_wal_bytes Size of the write-ahead log.\n# TYPE vigil_wal_bytes gauge\n";
  out += "vigil_wal_bytes " + std::to_string(g.wal_bytes) + "\n";
  out += "# HELP vigil_wal_bound_checkpoints_total TRUNCATE checkpoints forced by the WAL bound.\n";
  out += "# TYPE vigil_wal_bound_checkpoints_total counter\nvigil_wal_bound_checkpoints_total " +
         std::to_string(g.wal_bound_checkpoints) + "\n";
  out += "# HELP vigil_audit_dropped_total Audit rows dropped (queue full or storage failure).\n";
  out += "# TYPE vigil_audit_dropped_total counter\nvigil_audit_dropped_total " +
         std::to_string(g.audit_dropped) + "\n";
  out += "# HELP vigil_abuse_signals_total Abuse signals raised since start.\n";
  out += "# TYPE vigil_abuse_signals_total counter\nvigil_abuse_signals_total " +
         std::to_string(g.abuse_signals) + "\n";
  out +=
      "# HELP vigil_event_id_merge_failures_total Merges of event ids into the id index that"
      " failed and were retried later.\n";
  out +=
      "# TYPE vigil_event_id_merge_failures_total counter\nvigil_event_id_merge_failures_total " +
      std::to_string(g.event_id_merge_failures) + "\n";
  out += "# HELP vigil_wal_bound_misses_total Forced checkpoints that could not reset the WAL.\n";
  out += "# TYPE vigil_wal_bound_misses_total counter\nvigil_wal_bound_misses_total " +
         std::to_string(g.wal_bound_misses) + "\n";
  out +=
      "# HELP vigil_slow_requests_cut_total Connections closed with 408: request head too slow.\n";
  out += "# TYPE vigil_slow_requests_cut_total counter\nvigil_slow_requests_cut_total " +
         std::to_string(g.slow_heads_cut) + "\n";
  out += "# HELP vigil_request_heads_too_large_total Connections closed with 431.\n";
  out +=
      "# TYPE vigil_request_heads_too_large_total counter\nvigil_request_heads_too_large_total " +
      std::to_string(g.heads_too_large) + "\n";
  return out;
}

}  // namespace vigil
