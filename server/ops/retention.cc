#include "server/ops/retention.h"

#include <pthread.h>

#include "domain/time_util.h"
#include "server/http/log.h"
#include "storage/abuse.h"
#include "storage/audit.h"
#include "storage/billing.h"
#include "storage/executions.h"
#include "storage/projects.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// Rows deleted per write job: small enough that ingestion never waits long behind one.
constexpr int64_t kPruneBatch = 500;
constexpr int64_t kDeliveryRetentionDays = 30;
constexpr int64_t kStripeEventRetentionDays = 90;
constexpr int64_t kResolvedAbuseRetentionDays = 90;

// Runs `prune` (a write deleting at most kPruneBatch rows, returning how many) one transaction
// at a time until a batch comes back short, adding up what it deleted in `*count`.
template <typename Prune>
Status PruneInBatches(Store& store, Prune prune, int64_t* count) {
  for (;;) {
    auto n = store.WriteValue(prune);
    if (!n.ok()) return n.status();
    *count += n.value();
    if (n.value() < kPruneBatch) return Status::Ok();
  }
}

}  // namespace

Result<PruneReport> PruneOnce(Store& store, int64_t default_days, int64_t audit_days,
                              int64_t now_ms) {
  PruneReport report;
  auto policies =
      store.ReadValue([&](ReadTxn& txn) { return storage::RetentionPolicies(txn, default_days); });
  if (!policies.ok()) return policies.status();
  for (const auto& policy : policies.value()) {
    // A plain variable, not a structured binding: C++17 lambdas cannot capture bindings.
    const int64_t project = policy.first;
    const int64_t cutoff = now_ms - policy.second * kDayMs;
    Status s = PruneInBatches(
        store,
        [&](WriteTxn& txn) { return storage::PruneExecutions(txn, project, cutoff, kPruneBatch); },
        &report.executions);
    if (!s.ok()) return s;
  }
  // Ancillary rows, oldest first, in batches: each pruner deletes at most kPruneBatch rows.
  using Pruner = Result<int64_t> (*)(WriteTxn&, int64_t, int64_t);
  const struct {
    Pruner prune;
    int64_t cutoff_ms;
    int64_t* count;
  } ancillary[] = {
      {&storage::PruneDeliveries, now_ms - kDeliveryRetentionDays * kDayMs, &report.deliveries},
      {&storage::PruneAudit, now_ms - audit_days * kDayMs, &report.audit},
      {&storage::PruneStripeEvents, now_ms - kStripeEventRetentionDays * kDayMs,
       &report.stripe_events},
      {&storage::PruneResolvedAbuse, now_ms - kResolvedAbuseRetentionDays * kDayMs,
       &report.abuse_signals},
  };
  for (const auto& a : ancillary) {
    Status s = PruneInBatches(
        store, [&](WriteTxn& txn) { return a.prune(txn, a.cutoff_ms, kPruneBatch); }, a.count);
    if (!s.ok()) return s;
  }
  return report;
}

void RetentionWorker::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "vigil-retention");
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto r = PruneOnce(*store_, default_days_, audit_days_, NowMs());
      if (!r.ok()) {
        log::Warn("retention pass failed", {log::Str("error", r.status().message())});
      } else if (r->executions || r->deliveries || r->audit || r->stripe_events ||
                 r->abuse_signals) {
        log::Info(
            "retention pass",
            {log::Num("executions", r->executions), log::Num("webhook_deliveries", r->deliveries),
             log::Num("audit_rows", r->audit), log::Num("stripe_events", r->stripe_events),
             log::Num("abuse_signals", r->abuse_signals)});
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
