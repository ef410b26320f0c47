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

void Header(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void Scalar(std::string* out, const char* name, const char* type, const char* help, int64_t value) {
  Header(out, name, type, help);
  *out += std::string(name) + " " + std::to_string(value) + "\n";
}

// One counter with one label, a line per label value.
void Labelled(std::string* out, const char* name, const char* help, const char* label,
              const std::map<std::string, int64_t>& values) {
  Header(out, name, "counter", help);
  for (const auto& [value, n] : values) {
    *out +=
        std::string(name) + "{" + label + "=\"" + Label(value) + "\"} " + std::to_string(n) + "\n";
  }
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

void Metrics::SetTransparencyAudit(int64_t changed, int64_t log_faults) {
  tlog_changed_ = changed;
  tlog_faults_ = log_faults;
}

std::string Metrics::Render(const Gauges& g) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t throttled = 0, unavailable = 0;
  RenderRequests(&out, &throttled, &unavailable);
  RenderLatency(&out);
  Scalar(&out, "vigil_rate_limited_total", "counter", "Requests refused with 429.", throttled);
  Scalar(&out, "vigil_transparency_changed_records", "gauge",
         "Sealed executions changed after sealing, at the last audit check (-1: none yet).",
         tlog_changed_.load());
  Scalar(&out, "vigil_transparency_log_faults", "gauge",
         "Stored log hashes not matching the entries, at the last audit check (-1: none yet).",
         tlog_faults_.load());
  Scalar(&out, "vigil_unavailable_total", "counter",
         "Requests answered 503 (overload, draining, storage).", unavailable);
  Header(&out, "vigil_events_total", "counter", "Events received by result.");
  out +=
      "vigil_events_total{result=\"accepted\"} " + std::to_string(events_accepted_.load()) + "\n";
  out +=
      "vigil_events_total{result=\"rejected\"} " + std::to_string(events_rejected_.load()) + "\n";
  out += "vigil_events_total{result=\"duplicate\"} " + std::to_string(events_duplicates_.load()) +
         "\n";
  Labelled(&out, "vigil_findings_total", "Findings stored by failure class.", "failure_class",
           findings_);
  Labelled(&out, "vigil_webhook_attempts_total", "Webhook delivery attempts by outcome.", "outcome",
           webhook_attempts_);
  RenderGauges(&out, g);
  return out;
}

void Metrics::RenderRequests(std::string* out, int64_t* throttled, int64_t* unavailable) const {
  Header(out, "vigil_http_requests_total", "counter", "HTTP requests by route, method and status.");
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    *out += "vigil_http_requests_total{route=\"" + Label(route) + "\",method=\"" + Label(method) +
            "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    if (status == 429) *throttled += n;
    if (status == 503) *unavailable += n;
  }
}

void Metrics::RenderLatency(std::string* out) const {
  Header(out, "vigil_http_request_duration_seconds", "histogram", "Request latency by route.");
  for (const auto& [route, h] : latency_) {
    const std::string r = "route=\"" + Label(route) + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      *out += "vigil_http_request_duration_seconds_bucket{" + r + ",le=\"" + Num(kBuckets[i]) +
              "\"} " + std::to_string(h.counts[i]) + "\n";
    }
    *out += "vigil_http_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} " +
            std::to_string(h.total) + "\n";
    *out += "vigil_http_request_duration_seconds_sum{" + r + "} " + Num(h.sum) + "\n";
    *out +=
        "vigil_http_request_duration_seconds_count{" + r + "} " + std::to_string(h.total) + "\n";
  }
}

// The values sampled by the caller, in one table: name, type, help, value.
void Metrics::RenderGauges(std::string* out, const Gauges& g) {
  struct Row {
    const char* name;
    const char* type;
    const char* help;
    int64_t value;
  };
  const Row rows[] = {
      {"vigil_webhook_outbox", "gauge", "Webhook messages queued for delivery.", g.webhook_outbox},
      {"vigil_write_queue_depth", "gauge", "Write jobs waiting for the writer.", g.write_queue},
      {"vigil_halt_streams", "gauge", "Open halt streams.", g.halt_streams},
      {"vigil_database_bytes", "gauge", "Size of the database file.", g.database_bytes},
      {"vigil_wal_bytes", "gauge", "Size of the write-ahead log.", g.wal_bytes},
      {"vigil_wal_bound_checkpoints_total", "counter",
       "TRUNCATE checkpoints forced by the WAL bound.", g.wal_bound_checkpoints},
      {"vigil_audit_dropped_total", "counter",
       "Audit rows dropped (queue full or storage failure).", g.audit_dropped},
      {"vigil_abuse_signals_total", "counter", "Abuse signals raised since start.",
       g.abuse_signals},
      {"vigil_event_id_merge_failures_total", "counter",
       "Merges of event ids into the id index that failed and were retried later.",
       g.event_id_merge_failures},
      {"vigil_event_id_filter_bytes", "gauge",
       "Size of the filter of stored event ids; 0 while it is built after start.",
       g.event_id_filter_bytes},
      {"vigil_event_id_memory_bytes", "gauge",
       "Memory held for event-id uniqueness: remembered ids and the filters.",
       g.event_id_memory_bytes},
      {"vigil_event_id_filter_failures_total", "counter",
       "Builds of the event-id filter that failed and were retried later.",
       g.event_id_filter_failures},
      {"vigil_wal_bound_misses_total", "counter",
       "Forced checkpoints that could not reset the WAL.", g.wal_bound_misses},
      {"vigil_slow_requests_cut_total", "counter",
       "Connections closed with 408: a request head or body not received in time.",
       g.slow_heads_cut},
      {"vigil_request_heads_too_large_total", "counter", "Connections closed with 431.",
       g.heads_too_large},
  };
  for (const Row& r : rows) Scalar(out, r.name, r.type, r.help, r.value);
}

}  // namespace vigil
