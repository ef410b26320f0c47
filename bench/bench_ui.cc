// Dashboard read benchmark: is every API call a dashboard page makes fast on a large project?
//
// 1. Starts the real `vigil` binary and seeds one project over the HTTP API with N events
//    (default 1,000,000): executions of K events each (default 20) spread over the last 30 days,
//    with the SDKs' request pattern (POST /events, then PATCH with the final status) so the real
//    detectors build the findings and failure groups; a mix of statuses, crash signatures, tool
//    failures, identical-call loops, over-budget and costly runs, parent/child links, a few
//    executions still running and one long execution of 5,000 events.
// 2. Times each call the dashboard's pages make, one request at a time on a keep-alive
//    connection (a warm-up call, then --reps timed calls), and prints p50/p99/max per call.
//
// usage: vigil_bench_ui [--vigil PATH] [--events N] [--events-per-execution K]
//                       [--connections C] [--reps R] [--db PATH]
// With --db PATH an existing database is reused (seeding is skipped when it holds the project),
// which makes repeated timing runs cheap; without it a temporary database is seeded and removed.
#include <httplib.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/server_process.h"
#include "domain/time_util.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string vigil = "./build/vigil";
  long events = 1000000;
  int events_per_execution = 20;
  int connections = 8;
  int reps = 50;
  std::string db;
};

const char kKey[] = "vigil_sk_bench_ui_key_000000000000";
constexpr int64_t kDayMs = 24 * 3600 * 1000LL;
constexpr int kExecutionsPerBatch = 50;  // one POST /events carries their events (≤ 1000)
constexpr int kLongExecutionEvents = 5000;
constexpr int kRunning = 20;  // the newest executions never end

const char* const kWords[] = {
    "account",  "balance", "invoice",  "refund",    "policy",    "customer", "shipment", "order",
    "delay",    "weather", "forecast", "summary",   "report",    "quarter",  "revenue",  "budget",
    "contract", "renewal", "ticket",   "priority",  "escalate",  "database", "migrate",  "schema",
    "index",    "query",   "latency",  "cluster",   "deploy",    "rollback", "release",  "feature",
    "flag",     "cohort",  "retain",   "churn",     "pricing",   "discount", "coupon",   "catalog",
    "search",   "ranking", "vector",   "embed",     "translate", "french",   "german",   "spanish",
    "poem",     "story",   "recipe",   "garden",    "travel",    "flight",   "hotel",    "museum",
    "history",  "physics", "biology",  "chemistry", "algebra",   "theorem",  "proof",    "lemma",
};
const char* const kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-6", "claude-haiku-4-5"};
const char* const kTools[] = {"web_search", "sql_query", "send_email",
                              "read_file",  "http_get",  "calculator"};
const char* const kLoopMessages[] = {
    "Did you understand my last request?", "Please clarify the answer to my question.",
    "Try again with the same parameters.", "Is the export finished yet?",
    "Check the status of the job once more."};

struct ExecutionPlan {
  std::string id;
  int64_t started_at = 0;
  int events = 0;
  std::string status;  // empty = still running
  std::string crash_signature;
  std::string failed_tool;
  int loop_message = -1;
  int64_t duration_ms = 0;
  double cost_usd = 0;
  std::string parent;
};

std::vector<ExecutionPlan> Plan(const Options& o, int64_t now_ms) {
  const long n = std::max<long>(2, (o.events - kLongExecutionEvents) / o.events_per_execution);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ExecutionPlan> plan;
  plan.reserve(n + 1);
  const int64_t span = 30 * kDayMs;
  for (long i = 0; i < n; ++i) {
    ExecutionPlan e;
    e.id = "exec-" + std::to_string(i);
    e.started_at = now_ms - span + span * i / n;
    e.events = o.events_per_execution;
    e.duration_ms = 2000 + static_cast<int64_t>(u(rng) * 40000);
    e.cost_usd = 0.001 + u(rng) * 0.2;
    const double r = u(rng);
    if (i >= n - kRunning) {
      e.status.clear();
    } else if (r < 0.05) {
      e.status = "crashed";
      char sig[17];
      std::snprintf(sig, sizeof(sig), "%016llx", 0xc0ffee00ULL + (i % 8));
      e.crash_signature = sig;
    } else if (r < 0.08) {
      e.status = "timeout";
      e.duration_ms = 120000;
    } else if (r < 0.10) {
      e.status = "halted";
      e.crash_signature = "halt:step_count";
    } else if (r < 0.11) {
      e.status = "validation_failed";
    } else {
      e.status = "completed";
    }
    if (u(rng) < 0.05) e.failed_tool = kTools[i % 6];
    if (u(rng) < 0.02) e.loop_message = static_cast<int>(i % 5);
    if (u(rng) < 0.01) e.cost_usd = 1.5;
    if (i % 10 == 9) e.parent = "exec-" + std::to_string(i - 1);
    plan.push_back(std::move(e));
  }
  ExecutionPlan big;
  big.id = "exec-long";
  big.started_at = now_ms - 2 * kDayMs;
  big.events = kLongExecutionEvents;
  big.status = "completed";
  big.duration_ms = 3 * 3600 * 1000;
  big.cost_usd = 4.2;
  plan.push_back(std::move(big));
  return plan;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Appends events [from, from + count) of `e` to a JSON array being built in `body`.
void AppendEvents(const ExecutionPlan& e, int from, int count, std::mt19937_64& rng,
                  std::string* body, bool* first) {
  for (int j = from; j < from + count; ++j) {
    const int64_t ts = e.started_at + j * 500LL;
    std::string payload;
    std::string type = "llm_call";
    const char* model = kModels[(e.id.size() + j) % 4];
    if (j == 3 && !e.failed_tool.empty()) {
      type = "tool_call";
      payload = "{\"tool_name\":\"" + e.failed_tool +
                "\",\"status\":\"failed\",\"exception_type\":\"TimeoutError\"}";
    } else if (j % 5 == 4) {
      type = "tool_call";
      payload = std::string("{\"tool_name\":\"") + kTools[rng() % 6] +
                "\",\"status\":\"ok\",\"result_summary\":\"42 rows\"}";
    } else {
      std::string msg;
      if (e.loop_message >= 0 && j < 3) {
        msg = kLoopMessages[e.loop_message];
        model = "gpt-4o";
      } else {
        for (int w = 0; w < 14; ++w) {
          if (w) msg += ' ';
          msg += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
        }
      }
      payload = std::string("{\"model\":\"") + model + "\",\"status\":\"ok\",\"user_message\":\"" +
                Escape(msg) + "\",\"response_text\":\"Here is what I found about " + Escape(msg) +
                ".\",\"input_tokens\":" + std::to_string(600 + rng() % 900) +
                ",\"output_tokens\":" + std::to_string(80 + rng() % 300) + "}";
    }
    if (!*first) *body += ',';
    *first = false;
    *body += "{\"event_id\":\"" + e.id + "-" + std::to_string(j) + "\",\"execution_id\":\"" + e.id +
             "\",\"event_type\":\"" + type + "\",\"sequence\":" + std::to_string(j + 1) +
             ",\"timestamp\":\"" + vigil::FormatRfc3339Ms(ts) +
             "\",\"duration_ms\":" + std::to_string(200 + rng() % 1500) +
             ",\"payload\":" + payload + "}";
  }
}

std::string PatchBody(const ExecutionPlan& e) {
  char cost[32];
  std::snprintf(cost, sizeof(cost), "%.6f", e.cost_usd);
  std::string b =
      "{\"status\":\"" + e.status + "\",\"started_at\":\"" + vigil::FormatRfc3339Ms(e.started_at) +
      "\",\"ended_at\":\"" + vigil::FormatRfc3339Ms(e.started_at + e.duration_ms) +
      "\",\"duration_ms\":" + std::to_string(e.duration_ms) + ",\"estimated_cost_usd\":" + cost +
      ",\"sdk_language\":\"python\",\"sdk_version\":\"0.1.0\"";
  if (!e.crash_signature.empty()) b += ",\"crash_signature\":\"" + e.crash_signature + "\"";
  if (!e.parent.empty()) b += ",\"parent_execution_id\":\"" + e.parent + "\"";
  return b + "}";
}

bool Seed(const Options& o, int port, const std::vector<ExecutionPlan>& plan) {
  std::atomic<size_t> next{0};
  std::atomic<long> failures{0};
  std::atomic<long> events{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(1000 + c);
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_read_timeout(60, 0);
      const httplib::Headers h = {{"Authorization", std::string("Bearer ") + kKey}};
      auto check = [&](const httplib::Result& r) {
        if (r && r->status == 200) return;
        if (failures++ < 5) {
          std::fprintf(stderr, "seed request failed: %s\n",
                       r ? (std::to_string(r->status) + " " + r->body).c_str()
                         : httplib::to_string(r.error()).c_str());
        }
      };
      size_t i;
      while ((i = next.fetch_add(kExecutionsPerBatch)) < plan.size()) {
        const size_t end = std::min(plan.size(), i + kExecutionsPerBatch);
        std::string body = "[";
        bool first = true;
        int in_body = 0;
        for (size_t k = i; k < end; ++k) {
          // The long execution goes in batches of 1000 of its own.
          if (plan[k].events > 1000) {
            for (int from = 0; from < plan[k].events; from += 1000) {
              const int count = std::min(1000, plan[k].events - from);
              std::string chunk = "[";
              bool f = true;
              AppendEvents(plan[k], from, count, rng, &chunk, &f);
              check(cli.Post("/events", h, chunk + "]", "application/json"));
              events += count;
            }
            continue;
          }
          AppendEvents(plan[k], 0, plan[k].events, rng, &body, &first);
          in_body += plan[k].events;
        }
        if (in_body > 0) {
          check(cli.Post("/events", h, body + "]", "application/json"));
          events += in_body;
        }
        for (size_t k = i; k < end; ++k) {
          if (plan[k].status.empty()) continue;
          check(cli.Patch("/executions/" + plan[k].id, h, PatchBody(plan[k]), "application/json"));
        }
      }
    });
  }
  long last_report = 0;
  while (next.load() < plan.size()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long e = events.load();
    if (e - last_report >= 100000) {
      std::fprintf(stderr, "  seeded %ld events\n", e);
      last_report = e;
    }
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("seeded %ld events in %zu executions in %.0f s (%ld failed requests)\n",
              events.load(), plan.size(), secs, failures.load());
  return failures == 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// The failure groups with the most and the fewest executions, and their class and signature.
struct GroupPick {
  std::string largest, smallest, cls, signature;
  long largest_count = -1, smallest_count = -1;
};

GroupPick PickGroups(httplib::Client& cli, const httplib::Headers& h) {
  GroupPick g;
  auto r = cli.Get("/failure-groups?limit=200", h);
  if (!r || r->status != 200) return g;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r->body).get(doc)) return g;
  simdjson::dom::array groups;
  if (doc["failure_groups"].get(groups)) return g;
  for (auto group : groups) {
    int64_t n = 0;
    std::string_view id, cls, sig;
    if (group["affected_executions"].get(n) || group["group_id"].get(id) ||
        group["failure_class"].get(cls) || group["signature"].get(sig)) {
      continue;
    }
    if (n > g.largest_count) {
      g.largest_count = n;
      g.largest = id;
      g.cls = cls;
      g.signature = sig;
    }
    if (g.smallest_count < 0 || n < g.smallest_count) {
      g.smallest_count = n;
      g.smallest = id;
    }
  }
  return g;
}

std::string Encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct Call {
  const char* page;
  std::string path;
};

// The GETs the dashboard's pages make, over the data PickGroups found, plus those of the routes
// this server has (a webhook's deliveries, audit log, billing).
std::vector<Call> DashboardCalls(httplib::Client& cli, const httplib::Headers& h,
                                 const GroupPick& g, int64_t now_ms) {
  const std::string since30 = Encode(vigil::FormatRfc3339Ms(now_ms - 30 * kDayMs));
  const std::string since24h = Encode(vigil::FormatRfc3339Ms(now_ms - kDayMs));
  const std::string day_a = Encode(vigil::FormatRfc3339Ms(now_ms - 15 * kDayMs));
  const std::string day_b = Encode(vigil::FormatRfc3339Ms(now_ms - 14 * kDayMs));
  std::vector<Call> calls = {
      {"key check", "/project"},
      {"overview", "/stats"},
      {"overview", "/stats/timeseries?metric=executions&bucket=day&since=" + since30},
      {"overview", "/stats/timeseries?metric=failures&bucket=day&since=" + since30},
      {"overview", "/stats/timeseries?metric=cost_usd&bucket=day&since=" + since30},
      {"overview", "/stats/timeseries?metric=executions&bucket=hour&since=" + since24h},
      {"overview", "/stats/timeseries?metric=failures&bucket=hour&since=" + since24h},
      {"overview", "/stats/timeseries?metric=cost_usd&bucket=hour&since=" + since24h},
      {"overview", "/executions?status=crashed&limit=8"},
      {"overview", "/failure-groups?limit=8"},
      {"executions", "/executions?limit=50"},
      {"executions", "/executions?limit=50&offset=10000"},
      {"executions", "/executions?status=crashed&limit=50"},
      {"executions", "/executions?status=validation_failed&limit=50"},
      {"executions", "/executions?status=started&limit=50"},
      {"executions",
       "/executions?started_after=" + day_a + "&started_before=" + day_b + "&limit=50"},
      {"executions", "/executions?status=timeout&started_after=" + day_a +
                         "&started_before=" + day_b + "&limit=50"},
      {"execution", "/executions/exec-1234"},
      {"execution", "/executions?parent_execution_id=exec-1238&limit=50"},
      {"execution", "/executions/exec-long"},
      {"execution", "/executions/exec-long/events?offset=4000&limit=200"},
      {"failure groups", "/failure-groups?limit=50"},
      {"failure group", "/failure-groups/" + g.largest},
      {"failure group", "/failure-groups/" + g.largest + "/executions?limit=50"},
      {"failure group", "/failure-groups/" + g.smallest + "/executions?limit=50"},
      {"failure group",
       "/playbooks?failure_class=" + Encode(g.cls) + "&signature=" + Encode(g.signature)},
      {"api keys", "/api-keys"},
      {"webhooks", "/webhooks"},
      {"policy", "/policy"},
  };
  if (auto r = cli.Get("/webhooks", h); r && r->status == 200) {
    const auto at = r->body.find("\"webhook_id\":\"");
    if (at != std::string::npos) {
      const auto from = at + 14;
      const std::string id = r->body.substr(from, r->body.find('"', from) - from);
      calls.push_back({"webhooks", "/webhooks/" + id + "/deliveries?limit=50"});
    }
  }
  // Routes the dashboard uses when this server has them.
  for (const char* optional : {"/audit-log?limit=50", "/billing", "/billing/usage"}) {
    auto r = cli.Get(optional, h);
    if (r && r->status == 200) calls.push_back({"optional", optional});
  }
  return calls;
}

// Times `c` over o.reps calls after a warm-up and prints its row; true when it is slow (p99 at or
// over 300 ms) or failed.
bool TimeCall(httplib::Client& cli, const httplib::Headers& h, const Call& c, int reps) {
  std::vector<double> ms;
  size_t bytes = 0;
  bool ok = true;
  for (int i = 0; i <= reps; ++i) {
    const auto s = Clock::now();
    auto r = cli.Get(c.path, h);
    const double d = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
    if (!r || r->status != 200) {
      ok = false;
      break;
    }
    bytes = r->body.size();
    if (i > 0) ms.push_back(d);  // the first call warms the page cache
  }
  std::string shown = c.path.substr(0, c.path.find('?'));
  const auto q = c.path.find('?');
  if (q != std::string::npos)
    shown += "?" + c.path.substr(q + 1, 70 - std::min<size_t>(70, shown.size()));
  if (!ok) {
    std::printf("%-15s %-80s  failed\n", c.page, shown.c_str());
    return true;
  }
  const double p99 = Percentile(ms, 0.99);
  std::printf("%-15s %-80s %8.1f %8.1f %8.1f %8zu\n", c.page, shown.c_str(), Percentile(ms, 0.5),
              p99, *std::max_element(ms.begin(), ms.end()), bytes);
  return p99 >= 300;
}

int Measure(const Options& o, int port, int64_t now_ms) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(true);
  cli.set_read_timeout(60, 0);
  const httplib::Headers h = {{"Authorization", std::string("Bearer ") + kKey}};
  const GroupPick g = PickGroups(cli, h);
  const std::vector<Call> calls = DashboardCalls(cli, h, g, now_ms);
  std::printf("\nlargest failure group %s (%ld executions), smallest %s (%ld)\n", g.largest.c_str(),
              g.largest_count, g.smallest.c_str(), g.smallest_count);
  std::printf("%-15s %-80s %8s %8s %8s %8s\n", "page", "GET", "p50 ms", "p99 ms", "max ms",
              "bytes");
  int slow = 0;
  for (const Call& c : calls) slow += TimeCall(cli, h, c, o.reps) ? 1 : 0;
  std::printf("%d of %zu calls at or over 300 ms (p99)\n", slow, calls.size());
  return slow;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--vigil") {
      o.vigil = v;
    } else if (a == "--events") {
      o.events = std::atol(v.c_str());
    } else if (a == "--events-per-execution") {
      o.events_per_execution = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--connections") {
      o.connections = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--reps") {
      o.reps = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--db") {
      o.db = v;
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  std::string dir;
  const bool reuse = !o.db.empty() && std::filesystem::exists(o.db);
  if (o.db.empty()) {
    char tmpl[] = "/tmp/vigil-bench-ui-XXXXXX";
    dir = mkdtemp(tmpl);
    o.db = dir + "/vigil.db";
  }
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  // A webhook whose receiver refuses connections gives the delivery log rows to list: it needs
  // a key to seal its secret and private receivers allowed.
  const pid_t pid = vigil::bench::StartVigil(
      o.vigil, o.db, port, kKey,
      {{"VIGIL_MASTER_KEY", "2222222222222222222222222222222222222222222222222222222222222222"},
       {"VIGIL_WEBHOOK_ALLOW_PRIVATE", "1"}});
  const bool up = pid > 0 && vigil::bench::AwaitHealth(port);
  int rc = up ? 0 : 1;
  const int64_t now_ms = vigil::NowMs();
  if (up && !reuse) {
    httplib::Client cli("127.0.0.1", port);
    cli.Post("/webhooks", {{"Authorization", std::string("Bearer ") + kKey}},
             "{\"url\":\"http://127.0.0.1:9/hook\",\"name\":\"bench\"}", "application/json");
    const auto plan = Plan(o, now_ms);
    if (!Seed(o, port, plan)) rc = 1;
  }
  if (up && rc == 0) rc = Measure(o, port, now_ms) == 0 ? 0 : 1;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::error_code ec;
  std::printf("database %.0f MiB\n",
              static_cast<double>(std::filesystem::file_size(o.db, ec)) / (1 << 20));
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return rc;
}
