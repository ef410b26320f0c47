// Mixed-load memory benchmark: does the server's RSS stay bounded when many tenants use it at once?
//
// Starts the real `vigil` binary on a fresh database, signs up --projects projects (each its own
// client address, through a trusted proxy header, so the per-address signup limit holds), then for
// --seconds runs C connections that each pick a random project per request and do what its agents
// and its developers would: POST /events batches of 20 events to one of the project's executions,
// now and then a PATCH ending one (which runs the final detection pass), GET /executions and
// GET /executions/{id}. Every 10 s it samples the server's RSS; at the end it prints the RSS per
// minute, the largest sample, and the requests by kind and status class.
//
// usage: vigil_bench_mixed [--vigil PATH] [--projects N] [--seconds S] [--connections C]
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
#include <string>
#include <thread>
#include <vector>

#include "bench/load_client.h"
#include "bench/server_process.h"
#include "domain/random.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::bench::LoadConnection;

const char kDevKey[] = "vigil_sk_bench_mixed_key_000000000";

struct Options {
  std::string vigil = "./build/vigil";
  int projects = 300;
  int seconds = 180;
  int connections = 16;
};

// Signs up `n` projects; returns their API keys.
std::vector<std::string> SignUp(int port, int n) {
  std::vector<std::string> keys;
  httplib::Client cli("127.0.0.1", port);
  for (int i = 0; i < n; ++i) {
    const httplib::Headers h = {
        {"X-Bench-Client", "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)}};
    const std::string body = "{\"email\":\"owner" + std::to_string(i) +
                             "@example.com\",\"project_name\":\"p" + std::to_string(i) + "\"}";
    auto r = cli.Post("/signup", h, body, "application/json");
    if (!r || r->status != 201) {
      std::fprintf(stderr, "signup %d failed: %d\n", i, r ? r->status : -1);
      continue;
    }
    simdjson::dom::parser parser;
    std::string_view key;
    if (parser.parse(r->body)["api_key"].get(key) == simdjson::SUCCESS) keys.emplace_back(key);
  }
  return keys;
}

// Requests by kind (events, patch, list, detail) and status class (2xx, 4xx, 5xx or failed).
struct Counts {
  std::atomic<long> by[4][4] = {};
};

int Class(int status) {
  if (status >= 200 && status < 300) return 0;
  if (status >= 400 && status < 500) return 1;
  return status >= 500 ? 2 : 3;
}

// One connection's loop until `stop`: a random project and one of its 20 executions per request.
void Drive(int port, const std::vector<std::string>& keys, const std::atomic<bool>& stop,
           Counts* counts) {
  LoadConnection conn(port, "");
  uint64_t rng = vigil::bench::SeedRng();
  long seq = 0;
  auto next = [&rng] {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
  };
  while (!stop.load()) {
    conn.set_key(keys[next() % keys.size()]);
    const std::string exec = "mixed-exec-" + std::to_string(next() % 20);
    const uint64_t roll = next() % 100;
    int kind, status;
    if (roll < 70) {
      std::string body = "[";
      char event_id[64];
      for (int j = 0; j < 20; ++j) {
        if (j) body += ',';
        vigil::bench::EventId(true, "", 0, j, rng, event_id);
        vigil::bench::AppendEventJson(body, exec.c_str(), event_id, ++seq);
      }
      body += ']';
      kind = 0, status = conn.Post("/events", body);
    } else if (roll < 75) {
      kind = 1, status = conn.Patch(("/executions/" + exec).c_str(), "{\"status\":\"completed\"}");
    } else if (roll < 88) {
      kind = 2, status = conn.Get("/executions");
    } else {
      kind = 3, status = conn.Get(("/executions/" + exec).c_str());
    }
    counts->by[kind][Class(status)]++;
  }
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--vigil" && !v.empty()) {
      o->vigil = v;
    } else if (a == "--projects" && !v.empty()) {
      o->projects = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--seconds" && !v.empty()) {
      o->seconds = std::max(10, std::atoi(v.c_str()));
    } else if (a == "--connections" && !v.empty()) {
      o->connections = std::max(1, std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr,
                   "usage: vigil_bench_mixed [--vigil PATH] [--projects N] [--seconds S] "
                   "[--connections C]\n");
      return false;
    }
  }
  return true;
}

void PrintCounts(const Counts& c) {
  const char* kinds[] = {"POST /events", "PATCH /executions/{id}", "GET /executions",
                         "GET /executions/{id}"};
  for (int k = 0; k < 4; ++k) {
    std::printf("%-24s 2xx %8ld  4xx %6ld  5xx %6ld  failed %4ld\n", kinds[k], c.by[k][0].load(),
                c.by[k][1].load(), c.by[k][2].load(), c.by[k][3].load());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  char tmpl[] = "/tmp/vigil-mixed-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::printf("CPU calibration: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const pid_t pid = vigil::bench::StartVigil(
      o.vigil, dir + "/mixed.db", port, kDevKey,
      {{"VIGIL_TRUSTED_PROXY_HEADER", "X-Bench-Client"}, {"VIGIL_SIGNUP", "1"}});
  if (!vigil::bench::AwaitHealth(port)) return 1;
  const std::vector<std::string> keys = SignUp(port, o.projects);
  std::printf("%zu projects signed up; RSS %.1f MiB\n", keys.size(),
              vigil::bench::RssKiB(pid) / 1024.0);
  if (keys.empty()) return 1;
  std::atomic<bool> stop{false};
  Counts counts;
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&] { Drive(port, keys, stop, &counts); });
  }
  long max_rss = 0;
  const auto t0 = Clock::now();
  for (int s = 10; s <= o.seconds; s += 10) {
    std::this_thread::sleep_until(t0 + std::chrono::seconds(s));
    const long rss = vigil::bench::RssKiB(pid);
    max_rss = std::max(max_rss, rss);
    if (s % 60 == 0 || s == o.seconds) std::printf("after %4d s: RSS %.1f MiB\n", s, rss / 1024.0);
    std::fflush(stdout);
  }
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("largest RSS sample %.1f MiB\n", max_rss / 1024.0);
  PrintCounts(counts);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  return 0;
}
