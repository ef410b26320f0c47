// Abuse signals (docs/api.md#abuse-signals): in-memory 60-minute counting windows per (kind, key);
// a window that reaches its threshold stores a signal for the operator and is silenced for 60
// minutes. With VIGIL_ABUSE_SUSPEND=1 a worker suspends the project of any signal left unresolved
// for VIGIL_ABUSE_SUSPEND_AFTER_S.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "domain/account.h"
#include "storage/store.h"

namespace vigil {

struct AbuseOptions {
  bool suspend = false;
  int64_t suspend_after_s = 172800;
  int64_t check_interval_s = 300;
};

class AbuseMonitor {
 public:
  // `on_suspended` runs for each project the worker suspends (to evict cached auth);
  // `on_signal` gets each new signal (kind, the signal as GET /admin/abuse shows it) for the
  // operator alert sink, and returns whether a sink took it (the signal's notified_at).
  AbuseMonitor(Store* store, AbuseOptions options, std::function<void(int64_t)> on_suspended,
               std::function<bool(const std::string&, const std::string&)> on_signal);
  ~AbuseMonitor() { Stop(); }
  void Start();  // the suspension worker, when enabled
  void Stop();   // idempotent

  // Observations from the request path; each is a short critical section.
  // `project` is the internal id, `project_id` the public one (for the operator's alert).
  void OnRateLimited(int64_t project, const std::string& project_id, const std::string& method,
                     const std::string& path, int64_t now_ms);
  // Windows follow the key (its id); the signal names its prefix, which is what an operator sees.
  void OnKeyUse(int64_t project, const std::string& project_id, const std::string& key_id,
                const std::string& key_prefix, const std::string& ip, int64_t now_ms);
  void OnLargeBody(int64_t project, const std::string& project_id, int64_t bytes,
                   const std::string& method, const std::string& path, int64_t now_ms);
  void OnSignup(int64_t project, const std::string& project_id, const std::string& ip,
                const std::string& email, int64_t now_ms);
  void OnExecutionsCreated(int64_t project, const std::string& project_id, int64_t count,
                           int64_t now_ms);

  // One suspension pass (the worker's body; tests and the CLI may call it).
  void SuspendDue(int64_t now_ms);

  // Signals recorded since start, for metrics.
  int64_t signals() const;

 private:
  struct Window {
    int64_t start_ms = 0;
    int64_t count = 0;
    std::vector<std::string> distinct;  // key_leak: client IPs seen (bounded by the threshold)
    int64_t silenced_until_ms = 0;
    // volume_spike: the project's baseline, read once per window (-1 = not read yet; -2 = the
    // project is younger than the baseline period and has none).
    double baseline_per_hour = -1;
  };
  // One table per kind, each with its own bound, so one kind (public signup IPs) cannot crowd
  // out another.
  struct Table {
    std::unordered_map<std::string, Window> windows;
    int64_t last_sweep_ms = 0;
  };
  // A signal decided under the lock, stored and announced after it is released.
  struct Pending {
    AbuseSignal signal;
    std::string project_id;
  };
  // The window of (kind, key) at `now_ms`, reset when 60 minutes old; nullptr when silenced or
  // when the kind's table is full (bounded memory). REQUIRES: mu_ held.
  Window* WindowFor(const char* kind, const std::string& key, int64_t now_ms);
  // Silences the window and returns the signal to publish. REQUIRES: mu_ held.
  Pending Fire(Window* w, int64_t project, const std::string& project_id, const char* kind,
               const char* severity, std::string detail_json, int64_t now_ms);
  // Logs, stores (asynchronously) and announces a signal. REQUIRES: mu_ not held.
  void Publish(Pending p);
  void Run();

  Store* store_;
  AbuseOptions options_;
  std::function<void(int64_t)> on_suspended_;
  std::function<bool(const std::string&, const std::string&)> on_signal_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Table> tables_;  // by kind
  int64_t signals_ = 0;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vigil
