// Growth benchmark: does ingestion cost stay flat as one database grows, and does start-up?
//
// 1. Prints a CPU calibration figure (bench/load_client.h).
// 2. Starts the real `vigil` binary on a fresh database and posts SDK-shaped batches (100 events
//    of ~500 bytes, ten requests per execution) over C keep-alive connections, in steps of
//    --step events up to --events. After each step it prints the step's rate and its ratio to
//    the first step's, the step's p99 request latency, the server's CPU time per event and RSS.
// 3. Every --read-every events, and at the end, with ingestion paused: p50/p99 of
//    GET /executions (the first page) and GET /executions/{id} of random stored executions.
// 4. At the end: restart after SIGTERM, and after SIGKILL in the middle of a load, each timed
//    from exec to the first acknowledged POST /events; after each, one batch stored before is
//    sent again and must come back as 100 duplicates (dedupe holds across restarts).
//
// usage: vigil_bench_growth [--vigil PATH] [--events N] [--step N] [--connections C]
//                           [--ids sdk|ordered] [--read-every N] [--dir PATH] [--keep]
// --keep goes on with the database already in --dir (to profile a large one without building it
// again); the "stored" column then counts the events this run added.
// The database lives in --dir (default a new directory under /tmp) and is removed at the end
// unless --dir was given. 20,000,000 events take about 10 GB.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
using vigil::bench::kBatch;
using vigil::bench::LoadConnection;

const char kKey[] = "vigil_sk_bench_growth_key_00000000";

struct Options {
  std::string vigil = "./build/vigil";
  long events = 20000000;
  long step = 1000000;
  int connections = 16;
  bool sdk_ids = true;
  long read_every = 5000000;
  std::string dir;
  bool keep = false;
};

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The batch of request `i` of run `run`: ten requests per execution, 1000 events each.
std::string Batch(const Options& o, const std::string& run, long i, uint64_t& rng) {
  char exec[64], event_id[64];
  std::snprintf(exec, sizeof exec, "%s-exec-%ld", run.c_str(), i / 10);
  std::string body = "[";
  for (int j = 0; j < kBatch; ++j) {
    if (j) body += ',';
    vigil::bench::EventId(o.sdk_ids, run.c_str(), i, j, rng, event_id);
    vigil::bench::AppendEventJson(body, exec, event_id, (i % 10) * kBatch + j + 1);
  }
  return body + "]";
}

struct Step {
  double events_per_s = 0, p99_ms = 0, server_cpu_us = 0;
  long failures = 0;
};

// Posts requests [first, last) of `run` over o.connections connections until `stop` is set.
Step PostRange(const Options& o, int port, const std::string& run, long first, long last,
               pid_t server, const std::atomic<bool>* stop) {
  std::atomic<long> next{first};
  std::atomic<long> failures{0};
  std::vector<std::vector<double>> lat(o.connections);
  const double cpu0 = vigil::bench::CpuSeconds(server);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      LoadConnection conn(port, kKey);
      uint64_t rng = vigil::bench::SeedRng();
      long i;
      while (!(stop && stop->load()) && (i = next.fetch_add(1)) < last) {
        const std::string body = Batch(o, run, i, rng);
        const auto s = Clock::now();
        if (conn.Post("/events", body) != 200) failures++;
        lat[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  Step out;
  const double secs = Since(t0);
  const long done = std::min(next.load(), last) - first;
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  out.events_per_s = done * kBatch / secs;
  out.p99_ms = vigil::bench::Percentile(all, 0.99);
  out.server_cpu_us = (vigil::bench::CpuSeconds(server) - cpu0) * 1e6 / (done * kBatch);
  out.failures = failures;
  return out;
}

// Times `reps` GETs of each read the dashboard makes most, one at a time.
void TimeReads(int port, const std::string& run, long executions, long stored) {
  LoadConnection conn(port, kKey);
  uint64_t rng = vigil::bench::SeedRng();
  std::vector<double> list, one;
  long bad = 0;
  for (int r = 0; r < 200; ++r) {
    auto s = Clock::now();
    bad += conn.Get("/executions") != 200;
    list.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    const std::string path = "/executions/" + run + "-exec-" + std::to_string(rng % executions);
    s = Clock::now();
    bad += conn.Get(path.c_str()) != 200;
    one.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  std::printf(
      "  reads at %ld events: GET /executions p50/p99 %.2f / %.2f ms, "
      "GET /executions/{id} p50/p99 %.2f / %.2f ms, %ld failed\n",
      stored, vigil::bench::Percentile(list, 0.5), vigil::bench::Percentile(list, 0.99),
      vigil::bench::Percentile(one, 0.5), vigil::bench::Percentile(one, 0.99), bad);
}

// Starts the server on `db` and returns the seconds from exec to its first acknowledged batch
// (a batch of a run of its own); `*pid` receives the child.
double TimeToFirstWrite(const Options& o, const std::string& db, int port, pid_t* pid) {
  const auto t0 = Clock::now();
  *pid = vigil::bench::StartVigil(o.vigil, db, port, kKey, {});
  uint64_t rng = vigil::bench::SeedRng();
  const std::string body = Batch(o, "restart-" + vigil::RandomHex(4), 0, rng);
  while (Since(t0) < 600) {
    LoadConnection conn(port, kKey);
    if (conn.Post("/events", body) == 200) return Since(t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

// Sends `batch` (stored before) again: true when all of it is reported as duplicates.
bool AllDuplicates(int port, const std::string& batch) {
  LoadConnection conn(port, kKey);
  if (conn.Post("/events", batch) != 200) return false;
  return conn.ResponseBody().find("\"duplicates\":100") != std::string::npos;
}

void Stop(pid_t pid, int sig) {
  kill(pid, sig);
  waitpid(pid, nullptr, 0);
}

void Restarts(const Options& o, const std::string& db, int port, pid_t* pid,
              const std::string& first_batch) {
  Stop(*pid, SIGTERM);
  double secs = TimeToFirstWrite(o, db, port, pid);
  std::printf("restart after SIGTERM: first acknowledged write after %.2f s; old batch %s\n", secs,
              AllDuplicates(port, first_batch) ? "all duplicates" : "NOT ALL DUPLICATES");
  std::atomic<bool> stop{false};
  std::thread load(
      [&] { PostRange(o, port, "killed-" + vigil::RandomHex(4), 0, 1L << 40, *pid, &stop); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  kill(*pid, SIGKILL);
  stop = true;
  load.join();
  waitpid(*pid, nullptr, 0);
  secs = TimeToFirstWrite(o, db, port, pid);
  std::printf(
      "restart after SIGKILL under load: first acknowledged write after %.2f s; old batch "
      "%s\n",
      secs, AllDuplicates(port, first_batch) ? "all duplicates" : "NOT ALL DUPLICATES");
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--keep") {
      o->keep = true;
      --i;  // takes no value
    } else if (a == "--vigil" && !v.empty()) {
      o->vigil = v;
    } else if (a == "--events" && !v.empty()) {
      o->events = std::atol(v.c_str());
    } else if (a == "--step" && !v.empty()) {
      o->step = std::max(1000L, std::atol(v.c_str()));
    } else if (a == "--connections" && !v.empty()) {
      o->connections = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--ids" && (v == "sdk" || v == "ordered")) {
      o->sdk_ids = v == "sdk";
    } else if (a == "--read-every" && !v.empty()) {
      o->read_every = std::max(1L, std::atol(v.c_str()));
    } else if (a == "--dir" && !v.empty()) {
      o->dir = v;
    } else {
      std::fprintf(
          stderr,
          "usage: vigil_bench_growth [--vigil PATH] [--events N] [--step N] "
          "[--connections C] [--ids sdk|ordered] [--read-every N] [--dir PATH] [--keep]\n");
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  const bool temporary = o.dir.empty();
  if (temporary) {
    char tmpl[] = "/tmp/vigil-growth-XXXXXX";
    o.dir = mkdtemp(tmpl);
  }
  std::filesystem::create_directories(o.dir);
  const std::string db = o.dir + "/growth.db";
  if (!o.keep || temporary) std::filesystem::remove(db);
  std::printf("CPU calibration: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  pid_t pid = vigil::bench::StartVigil(o.vigil, db, port, kKey, {});
  if (!vigil::bench::AwaitHealth(port)) return 1;
  const std::string run = vigil::RandomHex(4);
  uint64_t rng = vigil::bench::SeedRng();
  const std::string first_batch = Batch(o, run + "-first", 0, rng);
  LoadConnection(port, kKey).Post("/events", first_batch);
  std::printf("%12s %12s %8s %9s %12s %9s\n", "stored", "events/s", "vs first", "p99 ms",
              "server us/ev", "RSS MiB");
  double first_rate = 0;
  for (long stored = 0; stored < o.events;) {
    const long n = std::min(o.step, o.events - stored);
    const Step s = PostRange(o, port, run, stored / kBatch, (stored + n) / kBatch, pid, nullptr);
    stored += n;
    if (first_rate == 0) first_rate = s.events_per_s;
    std::printf("%12ld %12.0f %7.2fx %9.2f %12.2f %9.1f%s\n", stored, s.events_per_s,
                s.events_per_s / first_rate, s.p99_ms, s.server_cpu_us,
                vigil::bench::RssKiB(pid) / 1024.0, s.failures ? "  (failures)" : "");
    std::fflush(stdout);
    if (stored % o.read_every == 0 || stored >= o.events) {
      TimeReads(port, run, stored / kBatch / 10, stored);
    }
  }
  Restarts(o, db, port, &pid, first_batch);
  Stop(pid, SIGTERM);
  std::printf("CPU calibration: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  if (temporary) std::filesystem::remove_all(o.dir);
  return 0;
}
