// Ingestion benchmark. In one run on this machine it measures:
//   1. end-to-end ingestion through the real `vigil` binary: POST /events, 100 events of ~500
//      bytes per request, keep-alive, 16 concurrent connections, durable (synchronous=FULL)
//      commits; events/s and p50/p99 request latency;
//      With --streams N, the end-to-end run is repeated with N halt streams (SSE) held open, and
//      the throughput ratio with/without is printed (streams must not starve ingestion);
//      then the same number of spans as OTLP/HTTP protobuf (POST /v1/traces, 100 chat spans per
//      request, ten requests per trace), spans/s beside the events/s of the SDK protocol;
//   2. the raw SQLite insert rate of the same rows in-process (prepared statement, one transaction
//      per 100 rows, same schema and pragmas) as the baseline: as many rows as the end-to-end run
//      stores unless --raw-events says otherwise, since insert cost grows with the index sizes;
// and prints their ratio, the CPU time per event of the server and of this load generator, the
// server's RSS after the run and the database bytes per stored event, with a CPU calibration
// figure before and after (bench/load_client.h) so that a slow day shows as one.
//
// usage: vigil_bench [--vigil PATH] [--events N] [--connections C] [--raw-events N]
//                    [--detectors on|off] [--streams N] [--rounds R] [--ids ordered|sdk]
// --ids sdk sends event ids as the SDKs make them ("evt-" + 12 random hex digits) instead of ids
// that sort in sending order; both sides of the ratio use the same kind.
// Each of the R rounds (default 3) runs the baseline and then the server on fresh databases; the
// summary reports the round with the median ratio (see main).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/load_client.h"
#include "bench/otlp_load.h"
#include "bench/server_process.h"
#include "domain/random.h"
#include "storage/connection.h"
#include "storage/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string vigil = "./build/vigil";
  long events = 1000000;
  int connections = 16;
  long raw_events = -1;  // default: as many rows as the end-to-end run stores
  std::string detectors = "on";
  int streams = 0;
  int rounds = 3;
  bool sdk_ids = false;  // --ids sdk
};

using vigil::bench::AppendEventJson;
using vigil::bench::CpuSeconds;
using vigil::bench::kBatch;
using vigil::bench::Percentile;
using vigil::bench::RssKiB;
using vigil::bench::SeedRng;

const char kKey[] = "vigil_sk_bench_key_0000000000000000";

struct EndToEnd {
  double events_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  long rss_kib = 0;
  double bytes_per_event = 0;
  long failures = 0;
  // CPU time per stored event during the load, of the server and of this load generator (both
  // share the machine's cores).
  double server_cpu_us = 0, client_cpu_us = 0;
};

// Opens `n` halt streams (raw sockets holding GET /executions/{id}/halt-stream open) and returns
// their descriptors; each has received its first frame.
std::vector<int> OpenStreams(int port, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    const int fd = vigil::bench::ConnectLoopback(port);
    if (fd < 0) continue;
    const std::string req = "GET /executions/stream-" + std::to_string(i) +
                            "/halt-stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                            std::string(kKey) + "\r\n\r\n";
    if (write(fd, req.data(), req.size()) < 0) {
      close(fd);
      continue;
    }
    char buf[512];
    if (read(fd, buf, sizeof(buf)) <= 0) {
      close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  return fds;
}

// Starts the server under test on `port` with database `db` and waits for its /health; exits the
// benchmark when it does not answer (without a server there is nothing to measure).
pid_t StartServer(const Options& o, const std::string& db, int port) {
  const pid_t pid = vigil::bench::StartVigil(
      o.vigil, db, port, kKey, {{"VIGIL_DETECTORS", o.detectors == "off" ? "0" : "1"}});
  if (vigil::bench::AwaitHealth(port)) return pid;
  std::fprintf(stderr, "vigil did not answer /health on port %d\n", port);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::exit(1);
}

// Writes request `i`'s body; `rng` is the connection's own generator.
using BodyMaker = std::function<void(long i, uint64_t& rng, std::string& body)>;

// Posts `requests` bodies to `path` over o.connections connections; each connection's request
// latencies (ms) go into its slot of `lat`. Returns the failed requests.
long PostBatches(const Options& o, int port, long requests, std::vector<std::vector<double>>* lat,
                 const char* path, const char* content_type, const BodyMaker& make_body) {
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      vigil::bench::LoadConnection conn(port, kKey);
      conn.set_content_type(content_type);
      uint64_t rng = SeedRng();
      std::string body;
      body.reserve(kBatch * 600);
      long i;
      while ((i = next.fetch_add(1)) < requests) {
        make_body(i, rng, body);
        const auto s = Clock::now();
        const int status = conn.Post(path, body);
        (*lat)[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (status != 200 && failures++ < 5) {
          std::fprintf(stderr, "request failed: %d\n", status);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return failures;
}

// POST /events bodies: ten requests per execution, 1000 events each, like a long agent run.
BodyMaker EventBodies(const Options& o) {
  const std::string run = vigil::RandomHex(4);
  return [run, sdk_ids = o.sdk_ids](long i, uint64_t& rng, std::string& body) {
    char exec[64], event_id[64];
    std::snprintf(exec, sizeof exec, "%s-exec-%ld", run.c_str(), i / 10);
    body.assign("[");
    for (int j = 0; j < kBatch; ++j) {
      if (j) body += ',';
      const long seq = (i % 10) * kBatch + j + 1;
      vigil::bench::EventId(sdk_ids, run.c_str(), i, j, rng, event_id);
      AppendEventJson(body, exec, event_id, seq);
    }
    body += ']';
  };
}

// POST /v1/traces bodies of kBatch spans: ten requests per trace, its root span in the last.
BodyMaker OtlpBodies() {
  const std::string run = vigil::RandomHex(4);  // 8 hex digits
  return [run](long i, uint64_t&, std::string& body) {
    char trace[17], root[9], span[9];
    std::snprintf(trace, sizeof trace, "%s%08lx", run.c_str(), i / 10);
    std::snprintf(root, sizeof root, "r%07lx", i / 10);
    const uint64_t t0 = 1700000000000000000ull + static_cast<uint64_t>(i / 10) * 1000000000ull;
    std::string spans;
    for (int j = 0; j < kBatch; ++j) {
      const long seq = (i % 10) * kBatch + j + 1;
      const bool is_root = i % 10 == 9 && j == kBatch - 1;
      std::snprintf(span, sizeof span, "s%07lx", seq);
      vigil::bench::AppendChatSpan(spans, std::string_view(trace, 16),
                                   std::string_view(is_root ? root : span, 8),
                                   is_root ? std::string_view() : std::string_view(root, 8),
                                   t0 + static_cast<uint64_t>(seq) * 1000, seq);
    }
    body = vigil::bench::WrapSpans(spans);
  };
}

EndToEnd RunEndToEnd(const Options& o, const std::string& dir, int streams, bool otlp = false) {
  const std::string db = dir + (otlp ? "/otlp-" : "/e2e-") + std::to_string(streams) + ".db";
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const pid_t pid = StartServer(o, db, port);
  const std::vector<int> stream_fds = OpenStreams(port, streams);
  if (static_cast<int>(stream_fds.size()) != streams) {
    std::fprintf(stderr, "opened %zu of %d halt streams\n", stream_fds.size(), streams);
  }
  const long requests = o.events / kBatch;
  std::vector<std::vector<double>> lat(o.connections);
  const double server_cpu0 = CpuSeconds(pid);
  const double client_cpu0 = CpuSeconds(getpid());
  const auto t0 = Clock::now();
  EndToEnd out;
  out.failures =
      otlp ? PostBatches(o, port, requests, &lat, "/v1/traces", "application/x-protobuf",
                         OtlpBodies())
           : PostBatches(o, port, requests, &lat, "/events", "application/json", EventBodies(o));
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  out.events_per_s = requests * kBatch / secs;
  out.p50_ms = Percentile(all, 0.50);
  out.p99_ms = Percentile(all, 0.99);
  out.rss_kib = RssKiB(pid);
  out.server_cpu_us = (CpuSeconds(pid) - server_cpu0) * 1e6 / (requests * kBatch);
  out.client_cpu_us = (CpuSeconds(getpid()) - client_cpu0) * 1e6 / (requests * kBatch);
  for (int fd : stream_fds) close(fd);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  // After a clean shutdown the WAL is checkpointed and truncated: the file is the whole store.
  std::error_code ec;
  long bytes = static_cast<long>(std::filesystem::file_size(db, ec));
  const auto wal = std::filesystem::file_size(db + "-wal", ec);
  if (!ec) bytes += static_cast<long>(wal);
  out.bytes_per_event = static_cast<double>(bytes) / (requests * kBatch);
  return out;
}

// Baseline: the same rows inserted in-process into the same schema with the same pragmas.
double RunRaw(const Options& o, const std::string& dir) {
  const std::string db = dir + "/raw.db";
  {
    vigil::StoreOptions so;
    so.path = db;
    auto store = vigil::Store::Open(so);  // creates the schema through the real migrations
    if (!store.ok()) {
      std::fprintf(stderr, "raw: %s\n", store.status().message().c_str());
      std::exit(1);
    }
  }
  // The server's own connection class: the writer's pragmas (WAL, synchronous=FULL, foreign keys,
  // page cache size, temp store) by construction. SQLite checkpoints this WAL itself, in line.
  vigil::Connection conn(vigil::ConnectionOptions{db});
  SQLite::Database& d = conn.db();
  d.exec("INSERT INTO projects(project_id, name, created_at) VALUES ('p', 'p', 0)");
  // A row is stored the plain way: its id into the per-project id index as it arrives (the
  // duplicate check), then the event itself.
  SQLite::Statement id(d, "INSERT OR IGNORE INTO event_ids(project, event_id) VALUES (1, ?)");
  SQLite::Statement ins(
      d,
      "INSERT INTO events(project, execution, event_id, event_type, sequence,"
      " timestamp, duration_ms, payload) VALUES (1, ?, ?, 'llm_call', ?, ?, 812, ?)");
  SQLite::Statement exec(d,
                         "INSERT INTO executions(project, execution_id, status, started_at)"
                         " VALUES (1, ?, 'started', 0)");
  const std::string payload(430, 'p');
  const auto t0 = Clock::now();
  long exec_row = 0;
  uint64_t rng = SeedRng();
  char event_id[64];
  for (long i = 0; i < o.raw_events / kBatch; ++i) {
    d.exec("BEGIN IMMEDIATE");
    if (i % 10 == 0) {
      exec.reset();
      exec.bind(1, "exec-" + std::to_string(i));
      exec.exec();
      exec_row = d.getLastInsertRowid();
    }
    for (int j = 0; j < kBatch; ++j) {
      vigil::bench::EventId(o.sdk_ids, "raw", i, j, rng, event_id);
      id.reset();
      id.bind(1, event_id);
      if (id.exec() == 0) continue;
      ins.reset();
      ins.bind(1, static_cast<int64_t>(exec_row));
      ins.bind(2, event_id);
      ins.bind(3, static_cast<int64_t>(j));
      ins.bind(4, static_cast<int64_t>(1778780022123));
      ins.bind(5, payload);
      ins.exec();
    }
    d.exec("COMMIT");
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  return (o.raw_events / kBatch) * kBatch / secs;
}

// Reads `--flag value` pairs into `o`; false (after a message) on an unknown flag, a flag
// without its value, or --help.
bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h" || i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: vigil_bench --vigil PATH [--events N] [--connections C] "
                   "[--raw-events N] [--ids ordered|sdk] [--detectors on|off] [--streams N] "
                   "[--rounds R]\n");
      return false;
    }
    const std::string v = argv[i + 1];
    if (a == "--vigil") {
      o->vigil = v;
    } else if (a == "--events") {
      o->events = std::atol(v.c_str());
    } else if (a == "--connections") {
      o->connections = std::atoi(v.c_str());
    } else if (a == "--raw-events") {
      o->raw_events = std::atol(v.c_str());
    } else if (a == "--ids" && (v == "ordered" || v == "sdk")) {
      o->sdk_ids = v == "sdk";
    } else if (a == "--detectors") {
      o->detectors = v;
    } else if (a == "--streams") {
      o->streams = std::atoi(v.c_str());
    } else if (a == "--rounds") {
      o->rounds = std::max(1, std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr, "unknown option or value: %s %s\n", a.c_str(), v.c_str());
      return false;
    }
  }
  return true;
}

// Prints the median round (by ratio) and returns its end-to-end figures.
const EndToEnd& PrintSummary(const Options& o, const std::vector<double>& raws,
                             const std::vector<double>& ratios, const std::vector<EndToEnd>& runs,
                             long failures) {
  std::vector<size_t> order(runs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ratios[a] < ratios[b]; });
  const size_t mid = order[order.size() / 2];
  const EndToEnd& e2e = runs[mid];
  long max_rss = 0;
  for (const EndToEnd& r : runs) max_rss = std::max(max_rss, r.rss_kib);
  std::printf("median of %d rounds:\n", o.rounds);
  std::printf("raw SQLite baseline (100 rows/txn, FULL)  %10.0f events/s\n", raws[mid]);
  std::printf("end-to-end POST /events (%d conns)        %10.0f events/s\n", o.connections,
              e2e.events_per_s);
  std::printf("ratio end-to-end / raw                    %10.2fx\n", ratios[mid]);
  std::printf("request latency p50 / p99                 %6.2f / %.2f ms\n", e2e.p50_ms,
              e2e.p99_ms);
  std::printf("CPU per event: server / load generator      %6.2f / %.2f us\n", e2e.server_cpu_us,
              e2e.client_cpu_us);
  std::printf("server RSS after %ld events (max)        %10.1f MiB\n", o.events, max_rss / 1024.0);
  std::printf("database bytes per stored event           %10.0f\n", e2e.bytes_per_event);
  std::printf("failed requests                           %10ld\n", failures);
  return e2e;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  char tmpl[] = "/tmp/vigil-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  if (o.raw_events < 0) o.raw_events = o.events;  // the same rows, so the same index sizes
  // The machines this runs on share their cores with other tenants: the same work costs up to a
  // third more CPU time from one minute to the next. Each round measures the baseline and the
  // server back to back on fresh databases, and the summary takes the median round.
  std::printf("CPU calibration before: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  std::vector<double> raws, ratios;
  std::vector<EndToEnd> runs;
  long failures = 0;
  for (int round = 1; round <= o.rounds; ++round) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const double raw = RunRaw(o, dir);
    const EndToEnd e2e = RunEndToEnd(o, dir, 0);
    std::printf(
        "round %d: raw %8.0f ev/s, end-to-end %8.0f ev/s, ratio %.2fx, p50/p99 %.2f / %.2f ms\n",
        round, raw, e2e.events_per_s, e2e.events_per_s / raw, e2e.p50_ms, e2e.p99_ms);
    std::fflush(stdout);
    raws.push_back(raw);
    ratios.push_back(e2e.events_per_s / raw);
    runs.push_back(e2e);
    failures += e2e.failures;
  }
  const EndToEnd& e2e = PrintSummary(o, raws, ratios, runs, failures);
  std::printf("CPU calibration after: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  // OpenTelemetry in: the same number of spans as events, 100 per protobuf request.
  const EndToEnd otlp = RunEndToEnd(o, dir, 0, true);
  std::printf("end-to-end POST /v1/traces protobuf       %10.0f spans/s (p50/p99 %.2f / %.2f ms)\n",
              otlp.events_per_s, otlp.p50_ms, otlp.p99_ms);
  std::printf("ratio OTLP spans / SDK events             %10.2fx\n",
              otlp.events_per_s / e2e.events_per_s);
  failures += otlp.failures;
  if (o.streams > 0) {
    const EndToEnd with = RunEndToEnd(o, dir, o.streams);
    std::printf("end-to-end with %d open halt streams     %10.0f events/s (p99 %.2f ms)\n",
                o.streams, with.events_per_s, with.p99_ms);
    std::printf("ratio with streams / without              %10.2fx\n",
                with.events_per_s / e2e.events_per_s);
    failures += with.failures;
  }
  std::filesystem::remove_all(dir);
  return failures == 0 ? 0 : 1;
}
