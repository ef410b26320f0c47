// Seals terminal executions into their project's transparency log (docs/transparency.md#sealing).
//
// Triggers queue an execution in the transaction that makes it terminal
// (storage/migrations/014_transparency.sql). The sealer appends it once its final pass has
// finished (Detection calls MarkReady), or, when no pass was seen (the server restarted in
// between), after limits::kSealGraceMs with a final pass of its own first. Entries are built on a
// read snapshot and appended in one write job per round, only if the execution did not change
// since the snapshot; a changed one waits for the next round. Checkpoints are signed after a
// round at most once a second per project.
//
// Thread-safe. The thread runs between Start and Stop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/status.h"
#include "server/limits.h"
#include "storage/store.h"
#include "storage/transparency.h"

namespace vigil {

class Detection;
class Metrics;
class Transparency;

class Sealer {
 public:
  // All must outlive the sealer.
  Sealer(Store* store, Detection* detection, Transparency* log);
  ~Sealer();

  void Start();
  void Stop();  // idempotent; returns once the thread has finished its round

  // The audit check runs on a thread of its own at start and every `audit_interval_ms`, its
  // result going to `metrics` (optional; set before Start). An interval of 0 runs no audit check.
  void SetMetrics(Metrics* metrics, int64_t audit_interval_ms = limits::kSealAuditIntervalMs) {
    metrics_ = metrics;
    audit_interval_ms_ = audit_interval_ms;
  }

  // The execution's final pass finished: it may be sealed now. Wakes the thread.
  void MarkReady(int64_t project, const std::string& execution_id);
  // One round: seals every queued execution that is due at `now_ms`; returns how many.
  Result<int64_t> SealDue(int64_t now_ms);

 private:
  using Key = std::pair<int64_t, std::string>;
  struct Prepared;
  // Whether the queued execution may be sealed now, running its final pass when it waited for
  // the grace period.
  bool Due(const Key& key, const std::string& project_id, int64_t now_ms);
  // Puts the digest of `project`'s policy in force into `digests` (a cache for one round).
  Status PolicyDigest(int64_t project, std::map<int64_t, std::string>* digests);
  // Builds the entry of a queued execution on the read snapshot `txn` (or marks it gone).
  Status Prepare(ReadTxn& txn, const storage::PendingSeal& p, const std::string& policy_sha256,
                 Prepared* prep);
  // Prepares every execution of `due` into `batch` (same order), on read snapshots shared by up
  // to limits::kSealSnapshotEvents events.
  Status PrepareAll(const std::vector<const storage::PendingSeal*>& due,
                    const std::map<int64_t, std::string>& digests, std::vector<Prepared>* batch);
  Result<int64_t> SealBatch(const std::vector<Prepared>& batch, int64_t now_ms);
  void Run();
  void RunAudits();

  Store* store_;
  Detection* detection_;
  Transparency* log_;
  Metrics* metrics_ = nullptr;
  int64_t audit_interval_ms_ = limits::kSealAuditIntervalMs;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;
  std::set<Key> ready_;
  std::map<Key, int64_t> first_seen_ms_;
  std::thread thread_;
  std::thread audit_thread_;
};

}  // namespace vigil
