#include "server/retention.h"

#include <pthread.h>

#include "domain/time_util.h"
#include "server/log.h"

namespace vigil {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// Rows deleted per write job: small enough that ingestion never waits long behind one.
constexpr int64_t kPruneBatch = 500;
constexpr int64_t kDeliveryRetentionDays = 30;

}  // namespace

Result<PruneReport> PruneOnce(Store& store, int64_t default_days, int64_t now_ms) {
  PruneReport report;
  std::vector<std::pair<int64_t, int64_t>> policies;
  Status s = store.Read([&](ReadTxn& txn) {
    auto r = txn.RetentionPolicies(default_days);
    if (!r.ok()) return r.status();
    policies = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const auto& policy : policies) {
    // A plain variable, not a structured binding: C++17 lambdas cannot capture bindings.
    const int64_t project = policy.first;
    const int64_t cutoff = now_ms - policy.second * kDayMs;
    for (;;) {
      int64_t n = 0;
      s = store.Write([&](WriteTxn& txn) {
        auto r = txn.PruneExecutions(project, cutoff, kPruneBatch);
        if (!r.ok()) return r.status();
        n = r.value();
        return Status::Ok();
      });
      if (!s.ok()) return s;
      report.executions += n;
      if (n < kPruneBatch) break;
    }
  }
  for (;;) {
    int64_t n = 0;
    s = store.Write([&](WriteTxn& txn) {
      auto r = txn.PruneDeliveries(now_ms - kDeliveryRetentionDays * kDayMs, kPruneBatch);
      if (!r.ok()) return r.status();
      n = r.value();
      return Status::Ok();
    });
    if (!s.ok()) return s;
    report.deliveries += n;
    if (n < kPruneBatch) break;
  }
  return report;
}

void RetentionWorker::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "vigil-retention");
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto r = PruneOnce(*store_, default_days_, NowMs());
      if (!r.ok()) {
        log::Warn("retention pass failed", {log::Str("error", r.status().message())});
      } else if (r->executions || r->deliveries) {
        log::Info("retention pass", {log::Num("executions", r->executions),
                                     log::Num("webhook_deliveries", r->deliveries)});
      }
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(interval_s_), [this] { return stop_; });
    }
  });
}

void RetentionWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil
