// The detection passes of docs/detection.md#live-and-final-passes, orchestrating pure detectors
// over stored state.
//
// Final pass: after the write that made an execution terminal (or added events to a terminal one)
// commits, and before that request's response. It reads a snapshot on a reader connection, runs
// every enabled detector on the HTTP worker's thread, and commits the findings only if the
// execution's revision is unchanged since the snapshot (optimistic concurrency), so the single
// writer thread never runs detectors and a stale pass never overwrites a newer one. It replaces the
// execution's findings.
//
// Live pass: after an events batch commits, for each touched non-terminal execution, on the HTTP
// worker's thread (not the writer's). It keeps a bounded cache of each running execution's events
// (only what live detectors read), appends each batch, runs the Live detectors, and writes only
// when a finding is new or moved to a higher bucket. It only ever adds or raises findings.
//
// Agent baselines: both passes give the detectors the baseline of the execution's name. The final
// pass reads it from storage (leaving the execution itself out) and refreshes the bounded
// in-memory cache with it; the live pass reads the cache, so a batch costs no baseline query.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "detectors/detectors.h"
#include "detectors/policy.h"
#include "domain/detection_rows.h"
#include "domain/execution_rows.h"
#include "server/detection/baseline_cache.h"
#include "server/detection/live_cache.h"
#include "server/detection/memory_budget.h"
#include "server/http/metrics.h"
#include "server/limits.h"
#include "storage/store.h"

namespace vigil {

struct LivePlan;

class Detection {
 public:
  Detection(Store* store, bool enabled, std::string default_preset);

  bool enabled() const { return enabled_; }
  const std::string& default_preset() const { return default_preset_; }

  // The project's effective policy (cached; PUT /policy calls SetPolicy).
  Result<Policy> PolicyFor(int64_t project);
  void SetPolicyCache(int64_t project, const Policy& policy);

  // Final pass for one execution (see above). No-op when detection is disabled.
  Status FinalPass(int64_t project, const std::string& project_id, const std::string& execution_id,
                   const Policy& policy, int64_t now_ms);

  // Live pass, in three steps around the batch's one commit:
  //   PrepareLive (worker thread, before the write): appends the batch's new events to each
  //     execution's cached view and runs the live detectors, collecting new or raised findings;
  //   ApplyLive (inside the ingest write job): stores them, re-checked against stored findings,
  //     so the findings commit together with the events that caused them;
  //   FinishLive (after the commit, or with result == nullptr on failure): drops cached views the
  //     commit contradicted and requests auto-halts.
  LivePlan PrepareLive(int64_t project, const std::string& project_id,
                       const std::vector<Event>& batch, const Policy& policy, int64_t now_ms);
  Status ApplyLive(WriteTxn& txn, int64_t project, const LivePlan& plan, const IngestResult& result,
                   int64_t now_ms);
  void FinishLive(int64_t project, const LivePlan& plan, const IngestResult* result,
                  const Policy& policy, int64_t now_ms);

  // Called when a live finding asks for an auto-halt (docs/detection.md#auto-halt) and none is
  // recorded yet.
  using AutoHaltFn = std::function<void(int64_t project, const std::string& execution_id,
                                        const std::string& reason, int64_t now_ms)>;
  void SetAutoHalt(AutoHaltFn fn) { auto_halt_ = std::move(fn); }

  // Called inside the write transaction in which a finding creates a failure group (its first
  // finding) or reopens a resolved one (a regression, docs/detection.md#group-lifecycle), with
  // that change; so whatever it enqueues (webhook messages) commits with it, and each creation and
  // each regression fires exactly once. Never called for a finding that changes neither: a muted
  // group, whatever recurs in it, calls nothing.
  using GroupChangeFn = std::function<Status(
      WriteTxn& txn, int64_t project, const std::string& project_id, GroupChange change,
      const StoredFinding& finding, const std::string& execution_id, int64_t now_ms)>;
  void SetOnGroupChange(GroupChangeFn fn) { on_group_change_ = std::move(fn); }
  // Called after each final pass that ended without error (also when detection is disabled, when
  // the pass does nothing): the execution's findings are final and it may be sealed into the
  // transparency log (server/transparency/sealer.h).
  using FinalPassDoneFn = std::function<void(int64_t project, const std::string& execution_id)>;
  void SetOnFinalPassDone(FinalPassDoneFn fn) { on_final_pass_done_ = std::move(fn); }
  // Counts stored findings by class (optional).
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }

  // The execution's stored state changed through POST/PATCH: keep the live cache current, or drop
  // the entry once the execution is terminal (the final pass takes over).
  void OnExecutionWritten(int64_t project, const Execution& execution);
  // Stored events moved into or out of the execution: drop its cached view, as an eviction does, so
  // that its next live pass reloads what it now stores.
  void ForgetLive(int64_t project, const std::string& execution_id);

 private:
  // FinalPass without its completion hook.
  Status RunFinalPass(int64_t project, const std::string& project_id,
                      const std::string& execution_id, const Policy& policy, int64_t now_ms);
  using LiveState = LiveCache::State;
  // Stores one finding and, when it creates or reopens its group, audits a reopening and runs the
  // group hook.
  Status PutFinding(WriteTxn& txn, int64_t project, const std::string& project_id, int64_t row,
                    const std::string& execution_id, const StoredFinding& finding, int64_t now_ms);
  Status StoreFinalFindings(WriteTxn& txn, int64_t project, const std::string& project_id,
                            int64_t row, const std::string& execution_id,
                            std::vector<Finding> findings, const Policy& policy,
                            double computed_cost, int64_t now_ms);
  // ApplyLive for one execution (row `row`) whose batch committed as the plan assumed: stores the
  // `changed` findings that are new or raised.
  Status ApplyLiveFindings(WriteTxn& txn, int64_t project, const std::string& project_id,
                           int64_t row, const std::string& execution_id,
                           const std::vector<Finding>& changed, const Policy& policy,
                           int64_t now_ms);
  // Fills `st` (locked by the caller) with the execution's stored state and events; false when
  // they cannot be read.
  bool LoadLiveState(int64_t project, const std::string& project_id,
                     const std::string& execution_id, LiveState* st);
  // The baseline of agent `name` for a live pass: cached, else read (one bounded index read) and
  // cached; std::nullopt when it cannot be read (live detection is best effort).
  std::optional<AgentBaseline> LiveBaseline(int64_t project, const std::string& name);

  Store* store_;
  bool enabled_;
  AutoHaltFn auto_halt_;
  GroupChangeFn on_group_change_;
  FinalPassDoneFn on_final_pass_done_;
  Metrics* metrics_ = nullptr;
  std::string default_preset_;

  BaselineCache baselines_{limits::kBaselineCacheMaxEntries};

  std::mutex policy_mu_;
  std::unordered_map<int64_t, Policy> policies_;

  LiveCache live_{limits::kLiveCacheMaxBytes, limits::kLiveCacheMaxEntries};
  MemoryBudget final_pass_memory_{limits::kFinalPassMaxBytes};
};

struct LivePlan {
  std::string project_id;
  Policy policy;  // the policy the plan was made under
  struct Item {
    std::string execution_id;
    std::shared_ptr<LiveCache::State> state;
    int64_t assumed_new = 0;       // events of the batch assumed to be stored
    std::vector<Finding> changed;  // new or raised live findings
    std::optional<Budget> budget;
    bool halt_recorded = false;
  };
  std::vector<Item> items;
};

// The part of an event the live detectors read, with its identical-call key precomputed.
Event SlimForLivePass(const Event& event);

}  // namespace vigil
