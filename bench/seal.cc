// Sealing benchmark (docs/transparency.md#sealing): what sealing terminal executions into the
// transparency log costs the server. Each execution is driven as an SDK drives a short run:
// POST /executions, one POST /events batch of --events events, PATCH `completed`, over --clients
// keep-alive connections. The figure is the server's CPU time (user + system, from /proc) per
// execution, from just before the load until every execution is sealed and the server is idle
// again, so the sealer's work after the last request counts too. Beside it, the CPU time of the
// sealer thread alone (named vigil-sealer; 0 for builds that do not name it).
//
// Arms, run alternately in each round (rotating which goes first) on fresh databases:
//   off   --vigil with VIGIL_DEV_NO_SEALER=1: the sealer does not run (the queue still fills)
//   on    --vigil as deployed
//   base  --baseline, as deployed (another build, e.g. the main branch's), when given
//   base-off  --baseline with VIGIL_DEV_NO_SEALER=1, with --baseline-off 1 (a build that has it)
// All arms run with a master key, so checkpoints are signed as in production.
//
// usage: vigil_bench_seal --vigil PATH [--baseline PATH] [--executions N] [--events E]
//                         [--clients C] [--rounds R] [--keep DIR] [--baseline-off 0|1]
// --keep DIR leaves each arm's database of the last round in DIR/<arm>/seal.db (for example to
// time `vigil audit check` on it).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/load_client.h"
#include "bench/server_process.h"
#include "domain/random.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::bench::CpuSeconds;

const char kKey[] = "vigil_sk_bench_key_0000000000000000";
const char kMasterKey[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct Options {
  std::string vigil = "./build/vigil";
  std::string baseline;
  bool baseline_off = false;
  long executions = 2000;
  int events = 10;
  int clients = 8;
  int rounds = 3;
  std::string keep;  // "" = a temporary directory, removed at the end
};

struct Arm {
  std::string name;
  std::string binary;
  bool sealer = true;
};

struct Run {
  double cpu_ms_per_execution = 0;
  double sealer_ms_per_execution = 0;       // of that, the sealer thread's (vigil-sealer)
  std::map<std::string, double> thread_ms;  // of that, by thread name
  double load_s = 0;
  long failures = 0;
  long sealed = -1;  // the log's size at the end; -1 when the sealer was off
};

// Drives `o.executions` executions over `o.clients` connections; returns the failed requests.
long DriveExecutions(const Options& o, int port, const std::string& run) {
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&] {
      vigil::bench::LoadConnection conn(port, kKey);
      std::string body, path;
      char exec[64], event_id[64];
      long i;
      while ((i = next.fetch_add(1)) < o.executions) {
        std::snprintf(exec, sizeof exec, "%s-exec-%ld", run.c_str(), i);
        body = std::string("{\"execution_id\":\"") + exec + "\",\"name\":\"bench-agent\"}";
        int s1 = conn.Post("/executions", body);
        body.assign("[");
        for (int j = 0; j < o.events; ++j) {
          if (j > 0) body += ',';
          std::snprintf(event_id, sizeof event_id, "%s-%ld-%d", run.c_str(), i, j);
          vigil::bench::AppendEventJson(body, exec, event_id, j + 1);
        }
        body += ']';
        int s2 = conn.Post("/events", body);
        path = std::string("/executions/") + exec;
        int s3 = conn.Patch(path.c_str(), "{\"status\":\"completed\"}");
        for (int s : {s1, s2, s3}) {
          if ((s < 200 || s > 299) && failures++ < 5) {
            std::fprintf(stderr, "request failed: %d\n", s);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return failures;
}

// The project's log size from its checkpoint (GET /transparency/checkpoint), or -1.
long LogSize(int port) {
  vigil::bench::LoadConnection conn(port, kKey);
  if (conn.Get("/transparency/checkpoint") != 200) return -1;
  const std::string note = conn.ResponseBody();
  const size_t line = note.find('\n');
  if (line == std::string::npos) return -1;
  return std::strtol(note.c_str() + line + 1, nullptr, 10);
}

// Waits until the server's CPU time stops growing (less than 2 ms in 1.5 s): its background
// work (final passes, sealing) is done.
void AwaitIdle(pid_t pid) {
  double last = CpuSeconds(pid);
  for (int i = 0; i < 240; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const double now = CpuSeconds(pid);
    if (now - last < 0.002) return;
    last = now;
  }
}

Run RunArm(const Options& o, const Arm& arm, const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  std::vector<std::pair<std::string, std::string>> env = {{"VIGIL_MASTER_KEY", kMasterKey},
                                                          {"VIGIL_DETECTORS", "1"}};
  if (!arm.sealer) env.emplace_back("VIGIL_DEV_NO_SEALER", "1");
  const pid_t pid = vigil::bench::StartVigil(arm.binary, dir + "/seal.db", port, kKey, env);
  Run out;
  if (!vigil::bench::AwaitHealth(port)) {
    std::fprintf(stderr, "%s did not answer /health\n", arm.binary.c_str());
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    std::exit(1);
  }
  AwaitIdle(pid);  // start-up work (the first audit check, key generation) is not counted
  const double cpu0 = CpuSeconds(pid);
  const std::map<std::string, double> threads0 = vigil::bench::ThreadCpuByName(pid);
  const auto t0 = Clock::now();
  out.failures = DriveExecutions(o, port, vigil::RandomHex(4));
  out.load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (arm.sealer) {
    // Sealing follows each final pass within about a second; allow a minute.
    for (int i = 0; i < 240 && out.sealed < o.executions; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      out.sealed = LogSize(port);
    }
  }
  AwaitIdle(pid);
  out.cpu_ms_per_execution = (CpuSeconds(pid) - cpu0) * 1e3 / static_cast<double>(o.executions);
  for (const auto& [name, seconds] : vigil::bench::ThreadCpuByName(pid)) {
    const auto before = threads0.find(name);
    const double ms = (seconds - (before == threads0.end() ? 0 : before->second)) * 1e3 /
                      static_cast<double>(o.executions);
    out.thread_ms[name] = ms;
  }
  out.sealer_ms_per_execution = out.thread_ms["vigil-sealer"];
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return out;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h" || i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: vigil_bench_seal --vigil PATH [--baseline PATH] [--executions N] "
                   "[--events E] [--clients C] [--rounds R] [--keep DIR] [--baseline-off 0|1]\n");
      return false;
    }
    const std::string v = argv[i + 1];
    if (a == "--vigil") {
      o->vigil = v;
    } else if (a == "--baseline") {
      o->baseline = v;
    } else if (a == "--executions") {
      o->executions = std::max(1L, std::atol(v.c_str()));
    } else if (a == "--events") {
      o->events = std::clamp(std::atoi(v.c_str()), 1, 100);
    } else if (a == "--clients") {
      o->clients = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--rounds") {
      o->rounds = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--baseline-off" && (v == "0" || v == "1")) {
      o->baseline_off = v == "1";
    } else if (a == "--keep") {
      o->keep = v;
    } else {
      std::fprintf(stderr, "unknown option: %s\n", a.c_str());
      return false;
    }
  }
  return true;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The median CPU time per execution of each thread name in each arm: where a difference between
// the arms is spent.
void PrintThreads(
    const std::vector<Arm>& arms,
    const std::map<std::string, std::map<std::string, std::vector<double>>>& by_thread) {
  std::printf("median ms/execution by thread:%*s", 4, "");
  for (const Arm& arm : arms) std::printf(" %9s", arm.name.c_str());
  std::printf("\n");
  for (const auto& [name, arms_ms] : by_thread) {
    std::printf("  %-32s", name.c_str());
    for (const Arm& arm : arms) {
      const auto it = arms_ms.find(arm.name);
      std::printf(" %9.3f", it == arms_ms.end() ? 0.0 : Median(it->second));
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  std::vector<Arm> arms = {{"off", o.vigil, false}, {"on", o.vigil, true}};
  if (!o.baseline.empty()) arms.push_back({"base", o.baseline, true});
  if (!o.baseline.empty() && o.baseline_off) arms.push_back({"base-off", o.baseline, false});
  char tmpl[] = "/tmp/vigil-bench-seal-XXXXXX";
  const std::string dir = o.keep.empty() ? std::string(mkdtemp(tmpl)) : o.keep;
  std::printf("%ld executions of %d events, %d clients; server CPU per execution\n", o.executions,
              o.events, o.clients);
  std::printf("CPU calibration before: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  std::map<std::string, std::vector<double>> cpu, sealer;
  std::map<std::string, std::map<std::string, std::vector<double>>> by_thread;  // name, arm
  long failures = 0;
  bool unsealed = false;
  for (int round = 1; round <= o.rounds; ++round) {
    for (size_t k = 0; k < arms.size(); ++k) {
      const Arm& arm = arms[(k + static_cast<size_t>(round - 1)) % arms.size()];
      const Run r = RunArm(o, arm, dir + "/" + arm.name);
      std::printf(
          "round %d %-8s  %.3f ms/execution, sealer thread %.3f  (load %.1f s, sealed %ld, "
          "failures %ld)\n",
          round, arm.name.c_str(), r.cpu_ms_per_execution, r.sealer_ms_per_execution, r.load_s,
          r.sealed, r.failures);
      std::fflush(stdout);
      cpu[arm.name].push_back(r.cpu_ms_per_execution);
      sealer[arm.name].push_back(r.sealer_ms_per_execution);
      for (const auto& [name, ms] : r.thread_ms) by_thread[name][arm.name].push_back(ms);
      failures += r.failures;
      unsealed = unsealed || (arm.sealer && r.sealed != o.executions);
    }
  }
  for (const Arm& arm : arms) {
    const auto& v = cpu[arm.name];
    std::printf("%-8s  median %.3f ms/execution, range %.3f-%.3f; sealer thread median %.3f\n",
                arm.name.c_str(), Median(v), *std::min_element(v.begin(), v.end()),
                *std::max_element(v.begin(), v.end()), Median(sealer[arm.name]));
  }
  PrintThreads(arms, by_thread);
  const double off = Median(cpu["off"]);
  std::printf("sealing cost (on / off median): %+.1f %%\n", (Median(cpu["on"]) / off - 1) * 100);
  if (!o.baseline.empty()) {
    const double base_off = o.baseline_off ? Median(cpu["base-off"]) : off;
    std::printf("baseline's sealing cost (base / %s median): %+.1f %%\n",
                o.baseline_off ? "base-off" : "off", (Median(cpu["base"]) / base_off - 1) * 100);
  }
  std::printf("CPU calibration after: %.1f M keys sorted/s on one core\n",
              vigil::bench::CpuCalibration());
  if (o.keep.empty()) std::filesystem::remove_all(dir);
  if (unsealed) std::fprintf(stderr, "some executions were not sealed\n");
  return failures == 0 && !unsealed ? 0 : 1;
}
