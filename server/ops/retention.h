// Retention (docs/operations.md#retention): a background job that deletes executions the server
// last received a write for longer ago than each project's retention (or the global default), by
// the server's clock and never a client's, with their events and findings, in bounded
// batches so it never holds the writer for long; webhook delivery logs after 30 days, audit rows
// after VIGIL_AUDIT_RETENTION_DAYS, Stripe event ids and resolved abuse signals after 90 days.
// Groups stay; their counters follow because they are computed on read.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "domain/status.h"
#include "storage/store.h"

namespace vigil {

struct PruneReport {
  int64_t executions = 0;
  int64_t deliveries = 0;
  int64_t audit = 0;
  int64_t stripe_events = 0;
  int64_t abuse_signals = 0;
};

// Runs one full pass now. Each batch is its own write job.
Result<PruneReport> PruneOnce(Store& store, int64_t default_days, int64_t audit_days,
                              int64_t now_ms);

class RetentionWorker {
 public:
  RetentionWorker(Store* store, int64_t default_days, int64_t audit_days, int64_t interval_s)
      : store_(store),
        default_days_(default_days),
        audit_days_(audit_days),
        interval_s_(interval_s) {}
  ~RetentionWorker() { Stop(); }
  void Start();
  void Stop();  // idempotent; waits for the current batch

 private:
  Store* store_;
  int64_t default_days_;
  int64_t audit_days_;
  int64_t interval_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vigil
