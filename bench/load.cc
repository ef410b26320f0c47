// Load driver for the reliability tests: drives POST /events against a running Vigil at a fixed
// offered rate (or as fast as the server answers) over keep-alive connections, and prints one JSON
// line of figures: responses by status, refusals without Retry-After, events acknowledged, latency.
// Written in C++ because the tests need several times the rate the server sustains, on the same
// two cores, and a Python client would measure itself instead.
//
// usage: vigil_load --port P --key K [--seconds S] [--connections C] [--rate EVENTS_PER_S]
//                   [--batch N] [--honour-retry-after 0|1] [--resend 0|1] [--drain-seconds S]
//                   [--run ID] [--acked-file PATH]
//   --rate 0 (default) sends back to back (closed loop: measures what the server sustains).
//   --resend 1 re-sends a refused batch until it is stored, waiting Retry-After between tries when
//   --honour-retry-after 1; after --seconds it keeps re-sending pending batches up to
//   --drain-seconds. Each batch is its own execution `<run>-c<conn>-<n>`; --acked-file receives
//   the ids of the acknowledged ones, one a line.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 0;
  std::string key;
  double seconds = 5;
  int connections = 16;
  double rate = 0;  // events/s, 0 = closed loop
  int batch = 100;
  bool honour_retry_after = false;
  bool resend = false;
  double drain_seconds = 0;
  std::string run = "load";
  std::string acked_file;
};

// ~500 bytes per event, as an SDK's llm_call would send.
std::string Batch(const std::string& exec_id, int n) {
  std::string body = "[";
  char buf[1024];
  for (int j = 0; j < n; ++j) {
    std::snprintf(buf, sizeof(buf),
                  "%s{\"event_id\":\"%s-%d\",\"execution_id\":\"%s\",\"event_type\":\"llm_call\","
                  "\"sequence\":%d,\"timestamp\":\"2026-05-14T17:33:42.123Z\",\"duration_ms\":812,"
                  "\"payload\":{\"model\":\"gpt-4o-mini\",\"status\":\"ok\",\"input_tokens\":%d,"
                  "\"output_tokens\":212,\"user_message\":\"Summarise the quarterly revenue "
                  "figures for the northern region and compare them with the previous period, "
                  "highlighting anomalies in renewals, churn and expansion revenue #%d\"}}",
                  j ? "," : "", exec_id.c_str(), j, exec_id.c_str(), j + 1, 900 + j, j);
    body += buf;
  }
  body += ']';
  return body;
}

struct Totals {
  std::mutex mu;
  std::map<int, long> status;  // HTTP status -> responses; 0 = transport error
  long missing_retry_after = 0;
  long acked_batches = 0;
  long pending_batches = 0;
  std::vector<double> latency_ms;
  std::vector<std::string> acked;
};

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

void Drive(const Options& o, int conn, Totals& totals) {
  httplib::Client cli("127.0.0.1", o.port);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  cli.set_read_timeout(60, 0);
  cli.set_write_timeout(60, 0);
  const httplib::Headers headers = {{"Authorization", "Bearer " + o.key}};
  // Each connection offers rate/connections events per second: one batch every `interval`.
  const Clock::duration interval = Seconds(o.rate > 0 ? o.batch * o.connections / o.rate : 0);
  const auto start = Clock::now();
  const Clock::time_point end = start + Seconds(o.seconds);
  const Clock::time_point drain_end = end + Seconds(o.drain_seconds);
  Clock::time_point next_send = start + interval * conn / o.connections;
  std::map<int, long> status;
  long missing = 0, acked_batches = 0;
  std::vector<double> lat;
  std::vector<std::string> acked;
  int n = 0;
  std::string exec_id, body;
  bool pending = false;
  for (;;) {
    auto now = Clock::now();
    if (!pending && now >= end) break;
    if (pending && now >= drain_end) break;
    if (!pending) {
      exec_id = o.run + "-c" + std::to_string(conn) + "-" + std::to_string(n++);
      body = Batch(exec_id, o.batch);
      pending = true;
    }
    if (o.rate > 0 && now < next_send) std::this_thread::sleep_until(next_send);
    // Behind schedule (the server is slow): send now, but do not make up more than 100 ms.
    next_send = std::max(next_send + interval, Clock::now() - Seconds(0.1));
    const auto t0 = Clock::now();
    auto r = cli.Post("/events", headers, body, "application/json");
    lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    const int code = r ? r->status : 0;
    ++status[code];
    double wait_s = 0;
    if (code == 200) {
      pending = false;
      ++acked_batches;
      acked.push_back(exec_id);
    } else {
      if (code == 429 || code == 503) {
        if (!r->has_header("Retry-After")) ++missing;
        if (o.honour_retry_after) wait_s = std::atof(r->get_header_value("Retry-After").c_str());
      } else if (code == 0 && o.honour_retry_after) {
        wait_s = 1;  // no answer at all: back off as if told to
      }
      if (!o.resend) pending = false;
    }
    if (wait_s > 0) {
      const Clock::time_point until = Clock::now() + Seconds(wait_s);
      std::this_thread::sleep_until(std::min(until, pending ? drain_end : end));
      next_send = Clock::now();
    }
  }
  std::lock_guard<std::mutex> lock(totals.mu);
  for (auto& [k, v] : status) totals.status[k] += v;
  totals.missing_retry_after += missing;
  totals.acked_batches += acked_batches;
  totals.pending_batches += pending ? 1 : 0;
  totals.latency_ms.insert(totals.latency_ms.end(), lat.begin(), lat.end());
  totals.acked.insert(totals.acked.end(), acked.begin(), acked.end());
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--port") {
      o.port = std::atoi(v.c_str());
    } else if (a == "--key") {
      o.key = v;
    } else if (a == "--seconds") {
      o.seconds = std::atof(v.c_str());
    } else if (a == "--connections") {
      o.connections = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (a == "--batch") {
      o.batch = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--honour-retry-after") {
      o.honour_retry_after = v == "1";
    } else if (a == "--resend") {
      o.resend = v == "1";
    } else if (a == "--drain-seconds") {
      o.drain_seconds = std::atof(v.c_str());
    } else if (a == "--run") {
      o.run = v;
    } else if (a == "--acked-file") {
      o.acked_file = v;
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (o.port <= 0 || o.key.empty()) {
    std::fprintf(stderr, "--port and --key are required\n");
    return 2;
  }
  Totals totals;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] { Drive(o, c, totals); });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!o.acked_file.empty()) {
    if (FILE* f = std::fopen(o.acked_file.c_str(), "w")) {
      for (const auto& id : totals.acked) std::fprintf(f, "%s\n", id.c_str());
      std::fclose(f);
    }
  }
  long requests = 0;
  std::string by_status;
  for (auto& [k, v] : totals.status) {
    requests += v;
    by_status += (by_status.empty() ? "\"" : ",\"") + std::to_string(k) + "\":" + std::to_string(v);
  }
  std::printf(
      "{\"seconds\":%.2f,\"requests\":%ld,\"status\":{%s},\"missing_retry_after\":%ld,"
      "\"acked_batches\":%ld,\"acked_events\":%ld,\"pending_batches\":%ld,"
      "\"offered_events_per_s\":%.0f,\"acked_events_per_s\":%.0f,"
      "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
      secs, requests, by_status.c_str(), totals.missing_retry_after, totals.acked_batches,
      totals.acked_batches * o.batch, totals.pending_batches, requests * o.batch / secs,
      totals.acked_batches * o.batch / secs, Percentile(totals.latency_ms, 0.5),
      Percentile(totals.latency_ms, 0.99), Percentile(totals.latency_ms, 1.0));
  return 0;
}
