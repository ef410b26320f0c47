#include "server/admin/abuse.h"

#include <pthread.h>

#include <algorithm>

#include "domain/random.h"
#include "domain/time_util.h"
#include "server/codec/json_writer.h"
#include "server/http/log.h"
#include "storage/abuse.h"
#include "storage/projects.h"
#include "storage/stats.h"

namespace vigil {
namespace {

constexpr int64_t kWindowMs = 60LL * 60 * 1000;
constexpr int64_t kWindowMins = 60;
// Thresholds of docs/api.md#abuse-signals.
constexpr int64_t kRateLimitStorm = 30;
constexpr size_t kKeyLeakIps = 10;
constexpr int64_t kLargeBodyBytes = 1000000;
constexpr int64_t kLargeBodies = 5;
constexpr int64_t kSignupBurst = 5;
constexpr int64_t kVolumeMin = 100;
constexpr int64_t kVolumeFactor = 10;
constexpr int64_t kBaselineHours = 7 * 24;
// Windows tracked at once per kind; past it, expired ones are swept (at most once a minute) and
// new keys are not tracked.
constexpr size_t kMaxWindowsPerKind = 20000;
constexpr int64_t kSweepIntervalMs = 60 * 1000;

}  // namespace

AbuseMonitor::AbuseMonitor(Store* store, AbuseOptions options,
                           std::function<void(int64_t)> on_suspended,
                           std::function<bool(const std::string&, const std::string&)> on_signal)
    : store_(store),
      options_(options),
      on_suspended_(std::move(on_suspended)),
      on_signal_(std::move(on_signal)) {}

void AbuseMonitor::Start() {
  if (!options_.suspend) return;
  thread_ = std::thread([this] { Run(); });
}

void AbuseMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t AbuseMonitor::signals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signals_;
}

AbuseMonitor::Window* AbuseMonitor::WindowFor(const char* kind, const std::string& key,
                                              int64_t now_ms) {
  Table& table = tables_[kind];
  auto it = table.windows.find(key);
  if (it == table.windows.end()) {
    if (table.windows.size() >= kMaxWindowsPerKind) {
      // Sweep at most once a minute: a full table must not cost a scan per request.
      if (now_ms - table.last_sweep_ms < kSweepIntervalMs) return nullptr;
      table.last_sweep_ms = now_ms;
      for (auto i = table.windows.begin(); i != table.windows.end();) {
        const bool expired =
            now_ms - i->second.start_ms >= kWindowMs && i->second.silenced_until_ms <= now_ms;
        i = expired ? table.windows.erase(i) : std::next(i);
      }
      if (table.windows.size() >= kMaxWindowsPerKind) return nullptr;
    }
    it = table.windows.emplace(key, Window{}).first;
    it->second.start_ms = now_ms;
  }
  Window* w = &it->second;
  if (w->silenced_until_ms > now_ms) return nullptr;
  if (now_ms - w->start_ms >= kWindowMs) {
    w->start_ms = now_ms;
    w->count = 0;
    w->distinct.clear();
    w->baseline_per_hour = -1;
  }
  return w;
}

AbuseMonitor::Pending AbuseMonitor::Fire(Window* w, int64_t project, const std::string& project_id,
                                         const char* kind, const char* severity,
                                         std::string detail_json, int64_t now_ms) {
  w->silenced_until_ms = now_ms + kWindowMs;
  w->count = 0;
  w->distinct.clear();
  ++signals_;
  Pending p;
  p.signal.signal_id = "abuse_" + RandomHex(8);
  p.signal.project = project;
  p.signal.kind = kind;
  p.signal.severity = severity;
  p.signal.detail_json = std::move(detail_json);
  p.signal.detected_at_ms = now_ms;
  p.project_id = project_id;
  return p;
}

void AbuseMonitor::Publish(Pending p) {
  AbuseSignal& s = p.signal;
  log::Warn("abuse signal", {log::Str("signal_id", s.signal_id), log::Str("kind", s.kind),
                             log::Str("project_id", p.project_id)});
  JsonWriter alert;
  alert.BeginObject()
      .Field("signal_id", s.signal_id)
      .Field("project_id", p.project_id)
      .Field("kind", s.kind)
      .Field("severity", s.severity)
      .Key("detail")
      .Raw(s.detail_json)
      .Field("detected_at", FormatRfc3339Ms(s.detected_at_ms))
      .EndObject();
  if (on_signal_ && on_signal_(s.kind, alert.Take())) s.notified_at_ms = s.detected_at_ms;
  // Not waited for: the request that tipped the window must not pay for the write. A full queue
  // drops the signal (logged above).
  store_->WriteAsync([s](WriteTxn& txn) { return storage::InsertAbuseSignal(txn, s); });
}

void AbuseMonitor::OnRateLimited(int64_t project, const std::string& project_id,
                                 const std::string& method, const std::string& path,
                                 int64_t now_ms) {
  std::optional<Pending> fired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Window* w = WindowFor("rate_limit_sustained", std::to_string(project), now_ms);
    if (!w || ++w->count < kRateLimitStorm) return;
    JsonWriter d;
    d.BeginObject()
        .Field("count", w->count)
        .Field("window_mins", kWindowMins)
        .Field("method", method)
        .Field("path", path)
        .EndObject();
    fired = Fire(w, project, project_id, "rate_limit_sustained", "warning", d.Take(), now_ms);
  }
  Publish(std::move(*fired));
}

void AbuseMonitor::OnKeyUse(int64_t project, const std::string& project_id,
                            const std::string& key_id, const std::string& key_prefix,
                            const std::string& ip, int64_t now_ms) {
  std::optional<Pending> fired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Window* w = WindowFor("key_leak", key_id, now_ms);
    if (!w) return;
    if (std::find(w->distinct.begin(), w->distinct.end(), ip) != w->distinct.end()) return;
    w->distinct.push_back(ip);
    if (w->distinct.size() < kKeyLeakIps) return;
    JsonWriter d;
    d.BeginObject()
        .Field("key_prefix", key_prefix)
        .Field("distinct_ips", static_cast<int64_t>(w->distinct.size()))
        .Field("window_mins", kWindowMins)
        .EndObject();
    fired = Fire(w, project, project_id, "key_leak", "critical", d.Take(), now_ms);
  }
  Publish(std::move(*fired));
}

void AbuseMonitor::OnLargeBody(int64_t project, const std::string& project_id, int64_t bytes,
                               const std::string& method, const std::string& path, int64_t now_ms) {
  if (bytes <= kLargeBodyBytes) return;
  std::optional<Pending> fired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Window* w = WindowFor("oversized_payload", std::to_string(project), now_ms);
    if (!w || ++w->count < kLargeBodies) return;
    JsonWriter d;
    d.BeginObject()
        .Field("count", w->count)
        .Field("window_mins", kWindowMins)
        .Field("bytes", bytes)
        .Field("method", method)
        .Field("path", path)
        .EndObject();
    fired = Fire(w, project, project_id, "oversized_payload", "warning", d.Take(), now_ms);
  }
  Publish(std::move(*fired));
}

void AbuseMonitor::OnSignup(int64_t project, const std::string& project_id, const std::string& ip,
                            const std::string& email, int64_t now_ms) {
  std::optional<Pending> fired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Window* w = WindowFor("suspicious_signup", ip, now_ms);
    if (!w || ++w->count < kSignupBurst) return;
    JsonWriter d;
    d.BeginObject()
        .Field("ip", ip)
        .Field("count", w->count)
        .Field("window_mins", kWindowMins)
        .Field("latest_email", email)
        .EndObject();
    fired = Fire(w, project, project_id, "suspicious_signup", "warning", d.Take(), now_ms);
  }
  Publish(std::move(*fired));
}

void AbuseMonitor::OnExecutionsCreated(int64_t project, const std::string& project_id,
                                       int64_t count, int64_t now_ms) {
  if (count <= 0) return;
  const std::string key = std::to_string(project);
  int64_t window_start = 0;
  double baseline = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Window* w = WindowFor("volume_spike", key, now_ms);
    if (!w) return;
    w->count += count;
    if (w->count < kVolumeMin || w->baseline_per_hour == -2) return;
    window_start = w->start_ms;
    baseline = w->baseline_per_hour;
  }
  if (baseline == -1) {
    // Read once per window, off the lock: the project's age and its hourly average over the
    // previous 7 days (by the executions' started_at).
    int64_t previous = 0, created_at = 0;
    Status s = store_->Read([&](ReadTxn& txn) {
      auto info = storage::GetProject(txn, project);
      if (!info.ok()) return info.status();
      if (!info.value()) return Status::NotFound("project gone");
      created_at = info.value()->created_at_ms;
      auto r = storage::CountExecutionsStarted(
          txn, project, window_start - kBaselineHours * kWindowMs, window_start);
      if (!r.ok()) return r.status();
      previous = r.value();
      return Status::Ok();
    });
    if (!s.ok()) return;
    // A project younger than the baseline period has no baseline to spike against: its first
    // busy hour is onboarding, not abuse (the rate limit still bounds it).
    baseline = window_start - created_at < kBaselineHours * kWindowMs
                   ? -2
                   : static_cast<double>(previous) / kBaselineHours;
  }
  std::optional<Pending> fired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Window* w = WindowFor("volume_spike", key, now_ms);
    if (!w || w->start_ms != window_start) return;  // fired or rolled over meanwhile
    w->baseline_per_hour = baseline;
    if (baseline == -2 || static_cast<double>(w->count) < kVolumeFactor * baseline) return;
    JsonWriter d;
    d.BeginObject().Field("count", w->count).FieldDouble("baseline_per_hour", baseline).EndObject();
    fired = Fire(w, project, project_id, "volume_spike", "warning", d.Take(), now_ms);
  }
  Publish(std::move(*fired));
}

void AbuseMonitor::SuspendDue(int64_t now_ms) {
  auto suspended = store_->WriteValue([&](WriteTxn& txn) {
    return storage::SuspendForAbuse(txn, now_ms - options_.suspend_after_s * 1000, now_ms);
  });
  if (!suspended.ok()) {
    log::Warn("abuse suspension pass failed", {log::Str("error", suspended.status().message())});
    return;
  }
  for (int64_t project : suspended.value()) {
    log::Warn("project suspended for abuse", {log::Num("project", project)});
    on_suspended_(project);
  }
}

void AbuseMonitor::Run() {
  pthread_setname_np(pthread_self(), "vigil-abuse");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(options_.check_interval_s));
    if (stop_) break;
    lock.unlock();
    SuspendDue(NowMs());
    lock.lock();
  }
}

}  // namespace vigil
