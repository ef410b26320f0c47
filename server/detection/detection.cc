#include "server/detection/detection.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "detectors/unicode.h"
#include "server/codec/json_codec.h"
#include "server/codec/json_writer.h"
#include "server/codec/policy_codec.h"
#include "server/detection/judged_events.h"
#include "server/http/log.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/transparency.h"

namespace vigil {
namespace {

std::string LiveKey(int64_t project, const std::string& execution_id) {
  return std::to_string(project) + '\x1f' + execution_id;
}

// What a final pass is assumed to hold per stored event before it reads them: the event and its
// payload's usual fields (a model, a user message, a status). It corrects this to what it read.
constexpr size_t kFinalPassEventEstimate = sizeof(Event) + 512;

StoredFinding ToStored(const Finding& f, int64_t detected_at_ms, const char* source) {
  StoredFinding s;
  s.detail = std::string(CutUtf8(f.detail, limits::kMaxFindingDetailBytes));
  s.detector = f.detector;
  s.priority = f.priority;
  s.failure_class = f.failure_class;
  s.signature = f.signature;
  s.group_id = f.group_id;
  s.detected_at_ms = detected_at_ms;
  s.source = source;
  return s;
}

Finding FromStored(const StoredFinding& s) {
  Finding f;
  f.detector = s.detector;
  f.failure_class = s.failure_class;
  f.signature = s.signature;
  f.group_id = s.group_id;
  f.priority = s.priority;
  f.detail = s.detail;
  return f;
}

std::vector<Finding> FromStored(const std::vector<StoredFinding>& stored) {
  std::vector<Finding> findings;
  for (const StoredFinding& s : stored) findings.push_back(FromStored(s));
  return findings;
}

// Gives the execution's runaway one group (GroupRunaway) and moves the finding that names a new
// group to the front: a group takes its class and signature, and its webhook, from the finding
// that creates it. The order of storing changes nothing else.
void StoreOrderForRunaway(std::vector<Finding>* findings, const Policy& policy,
                          const std::string& stored_group) {
  const std::optional<size_t> first = GroupRunaway(findings, policy, stored_group);
  if (first && *first > 0) {
    std::rotate(findings->begin(), findings->begin() + static_cast<std::ptrdiff_t>(*first),
                findings->begin() + static_cast<std::ptrdiff_t>(*first) + 1);
  }
}

// The execution's failure_group_id: the group of its highest-priority finding
// (docs/detection.md#findings-and-groups).
std::string PrimaryGroup(const std::vector<Finding>& findings) {
  const auto top =
      std::min_element(findings.begin(), findings.end(),
                       [](const Finding& a, const Finding& b) { return a.priority < b.priority; });
  return top == findings.end() ? "" : top->group_id;
}

// Reads what the final pass's detectors need besides the execution and its events: the name's
// baseline from its other completed executions and the drift history, scoped by DriftScopeName.
// `window` gets the name's baseline with the execution itself, as the live cache should now hold.
Status LoadFinalContext(ReadTxn& txn, int64_t project, const DetectionInput& in,
                        const Policy& policy, int64_t now_ms, ExecutionSnapshot* snap,
                        std::optional<AgentBaseline>* window) {
  if (NeedsBaseline(policy, in.execution)) {
    auto samples = storage::BaselineSamples(txn, project, in.execution.name, kBaselineWindow + 1);
    if (!samples.ok()) return samples.status();
    snap->baseline = ComputeBaseline(samples.value(), in.row_id);
    *window = ComputeBaseline(samples.value());
  }
  if (!NeedsHistory(policy, Pass::kFinal)) return Status::Ok();
  const HistoryWindow w = HistoryWindowFor(policy, now_ms);
  if (policy.model_drift.enabled) {
    const std::string& scope = DriftScopeName(policy, in.execution);
    auto models = storage::HistoryModels(txn, project, in.row_id, w.since_ms, w.until_ms, scope);
    if (!models.ok()) return models.status();
    snap->history.models = std::move(models.value());
    if (policy.model_drift.min_history > 0) {
      auto count = storage::CountCompleted(txn, project, in.row_id, scope, w.since_ms, w.until_ms,
                                           policy.model_drift.min_history);
      if (!count.ok()) return count.status();
      snap->history.completed_executions = count.value();
    }
  }
  if (policy.lexical_drift.enabled) {
    auto msgs =
        storage::HistoryMessages(txn, project, in.row_id, w.since_ms, w.until_ms, w.max_messages);
    if (!msgs.ok()) return msgs.status();
    snap->history.user_messages = std::move(msgs.value());
  }
  return Status::Ok();
}

void LogDetectorErrors(const std::vector<DetectorError>& errors, const std::string& execution_id) {
  for (const auto& e : errors) {
    log::Error("detector failed",
               {log::Str("detector", e.detector), log::Str("execution_id", execution_id),
                log::Str("error", e.message)});
  }
}

// Appends the batch's events of `execution_id` to the cached view as new (each id once) and keeps
// the view in order; returns how many it appended.
int64_t AppendBatch(const std::vector<Event>& batch, const std::string& execution_id,
                    LiveCache::State* st) {
  auto& events = st->events;
  const size_t old_size = events.size();
  const int64_t old_beyond = st->beyond;
  std::unordered_set<std::string_view> in_batch;
  for (const Event& e : batch) {
    if (e.execution_id != execution_id || !in_batch.insert(e.event_id).second) continue;
    if (events.size() >= limits::kMaxJudgedEvents) {
      ++st->beyond;  // counted, not judged (judged_events.h)
      continue;
    }
    LiveEvent slim = ToLiveEvent(e);
    slim.arrival = st->next_arrival++;
    st->event_heap += LiveEventHeapBytes(slim);
    events.push_back(std::move(slim));
  }
  const auto by_order = [](const LiveEvent& a, const LiveEvent& b) {
    return a.sequence != b.sequence ? a.sequence < b.sequence : a.arrival < b.arrival;
  };
  const auto tail = events.begin() + static_cast<std::ptrdiff_t>(old_size);
  if (!std::is_sorted(tail, events.end(), by_order)) std::stable_sort(tail, events.end(), by_order);
  if (old_size > 0 && tail != events.end() && by_order(*tail, *(tail - 1))) {
    std::inplace_merge(events.begin(), tail, events.end(), by_order);
  }
  return static_cast<int64_t>(events.size() - old_size) + (st->beyond - old_beyond);
}

// The live detectors over the cached view. They read events, which are built for this pass only,
// so the cache holds the compact form alone.
std::vector<Finding> RunLiveDetectors(const Policy& policy, LiveCache::State* st,
                                      std::vector<DetectorError>* errors) {
  st->snapshot.events.reserve(st->events.size());
  for (const LiveEvent& e : st->events) st->snapshot.events.push_back(FromLiveEvent(e));
  st->snapshot.event_count = static_cast<int64_t>(st->events.size()) + st->beyond;
  std::vector<Finding> found = RunDetectors(st->snapshot, policy, Pass::kLive, errors);
  std::vector<Event>().swap(st->snapshot.events);
  return found;
}

}  // namespace

Event SlimForLivePass(const Event& e) { return FromLiveEvent(ToLiveEvent(e)); }

Detection::Detection(Store* store, bool enabled, std::string default_preset)
    : store_(store), enabled_(enabled), default_preset_(std::move(default_preset)) {}

Result<Policy> Detection::PolicyFor(int64_t project) {
  {
    std::lock_guard<std::mutex> lock(policy_mu_);
    auto it = policies_.find(project);
    if (it != policies_.end()) return it->second;
  }
  auto json = store_->ReadValue([&](ReadTxn& txn) { return storage::GetPolicy(txn, project); });
  if (!json.ok()) return json.status();
  Policy policy = PolicyPreset(default_preset_);
  if (!json.value().empty()) {
    auto parsed = ParsePolicy(json.value(), default_preset_);
    if (parsed.ok()) policy = parsed.value();
  }
  SetPolicyCache(project, policy);
  return policy;
}

void Detection::SetPolicyCache(int64_t project, const Policy& policy) {
  std::lock_guard<std::mutex> lock(policy_mu_);
  if (policies_.size() > 100000) policies_.clear();  // bounded; entries reload on demand
  policies_[project] = policy;
}

Status Detection::FinalPass(int64_t project, const std::string& project_id,
                            const std::string& execution_id, const Policy& policy, int64_t now_ms) {
  Status s = RunFinalPass(project, project_id, execution_id, policy, now_ms);
  if (s.ok() && on_final_pass_done_) on_final_pass_done_(project, execution_id);
  return s;
}

Status Detection::RunFinalPass(int64_t project, const std::string& project_id,
                               const std::string& execution_id, const Policy& policy,
                               int64_t now_ms) {
  if (!enabled_) return Status::Ok();
  // The pass holds the events it judges at once (the detectors compare them): at most
  // kMaxJudgedEvents of them and kMaxJudgedBytes (judged_events.h). The budget bounds what all
  // final passes hold together, so a burst of large ones waits rather than piles up.
  auto count = store_->ReadValue(
      [&](ReadTxn& txn) { return storage::EventCount(txn, project, execution_id); });
  if (!count.ok()) return count.status();
  const size_t judged = std::min(static_cast<size_t>(count.value()), limits::kMaxJudgedEvents);
  MemoryBudget::Lease lease = final_pass_memory_.Acquire(judged * kFinalPassEventEstimate);
  // Two attempts: a pass that loses the race to a newer write retries once; past that, the newer
  // write's own final pass (every write to a terminal execution triggers one) is the one to keep.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<DetectionInput> in;
    ExecutionSnapshot snap;
    std::optional<AgentBaseline> window;
    FinalPassEvents judge(limits::kMaxJudgedEvents, limits::kMaxJudgedBytes);
    Status s = store_->Read([&](ReadTxn& txn) {
      judge = FinalPassEvents(limits::kMaxJudgedEvents, limits::kMaxJudgedBytes);  // a retry
      auto loaded = storage::LoadForDetection(txn, project, execution_id,
                                              [&judge](Event& e) { return judge.Take(e); });
      if (!loaded.ok()) return loaded.status();
      in = std::move(loaded.value());
      if (!in) return Status::Ok();
      return LoadFinalContext(txn, project, *in, policy, now_ms, &snap, &window);
    });
    if (!s.ok()) return s;
    if (!in) return Status::Ok();
    // The execution may just have completed: the live passes of its agent's other executions
    // judge by the baseline that now includes it.
    if (window) baselines_.Put(project, in->execution.name, *window);
    // The detectors run here, on the HTTP worker, so the single writer thread only writes.
    snap.execution = std::move(in->execution);
    snap.execution.project_id = project_id;
    snap.events = std::move(in->events);
    snap.event_count = in->event_count;
    lease.Resize(EventsBytes(snap.events));
    snap.now_ms = now_ms;
    std::vector<DetectorError> errors;
    const std::vector<Finding> findings = RunDetectors(snap, policy, Pass::kFinal, &errors);
    LogDetectorErrors(errors, execution_id);
    const double computed_cost = snap.execution.estimated_cost_usd <= 0
                                     ? ComputeCostUsd(snap.events) + judge.left_out_cost()
                                     : 0;

    bool stale = false;
    s = store_->Write([&](WriteTxn& txn) {
      auto revision = storage::Revision(txn, project, in->row_id);
      if (!revision.ok()) return revision.status();
      if (!revision.value() || *revision.value() != in->revision) {
        stale = true;  // changed since the snapshot: these findings may be out of date
        return Status::Ok();
      }
      // A sealed execution's findings are part of its log entry: they never change.
      auto sealed = storage::FindSeal(txn, project, execution_id);
      if (!sealed.ok()) return sealed.status();
      if (sealed.value()) return Status::Ok();
      return StoreFinalFindings(txn, project, project_id, in->row_id, execution_id, findings,
                                policy, computed_cost, now_ms);
    });
    if (!s.ok() || !stale) return s;
  }
  return Status::Ok();
}

Status Detection::PutFinding(WriteTxn& txn, int64_t project, const std::string& project_id,
                             int64_t row, const std::string& execution_id,
                             const StoredFinding& finding, int64_t now_ms) {
  auto change = storage::PutFinding(txn, project, row, execution_id, finding);
  if (!change.ok()) return change.status();
  if (metrics_) metrics_->AddFinding(finding.failure_class);
  if (change.value() == GroupChange::kNone) return Status::Ok();
  if (change.value() == GroupChange::kRegressed) {
    // The system reopened a group a person resolved: the audit log says when and why.
    AuditEntry e;
    e.time_ms = now_ms;
    e.project = project;
    e.actor = Actor::kSystem;
    e.action = "failure_group.regress";
    JsonWriter detail;
    detail.BeginObject()
        .Field("group_id", finding.group_id)
        .Field("execution_id", execution_id)
        .EndObject();
    e.detail_json = detail.Take();
    Status s = storage::InsertAudit(txn, e);
    if (!s.ok()) return s;
  }
  if (!on_group_change_) return Status::Ok();
  return on_group_change_(txn, project, project_id, change.value(), finding, execution_id, now_ms);
}

Status Detection::StoreFinalFindings(WriteTxn& txn, int64_t project, const std::string& project_id,
                                     int64_t row, const std::string& execution_id,
                                     std::vector<Finding> findings, const Policy& policy,
                                     double computed_cost, int64_t now_ms) {
  auto old = storage::LoadFindings(txn, project, row);
  if (!old.ok()) return old.status();
  StoreOrderForRunaway(&findings, policy, StoredRunawayGroup(FromStored(old.value())));
  // The new findings replace the old ones in place, and the old ones no detector found again go
  // after: a group then sees that this execution was in it already (no recurrence).
  Status s;
  for (const Finding& f : findings) {
    // An unchanged finding keeps the time it was first detected.
    int64_t detected_at = now_ms;
    for (const StoredFinding& o : old.value()) {
      if (o.detector == f.detector && o.signature == f.signature) detected_at = o.detected_at_ms;
    }
    s = PutFinding(txn, project, project_id, row, execution_id, ToStored(f, detected_at, "final"),
                   now_ms);
    if (!s.ok()) return s;
  }
  for (const StoredFinding& o : old.value()) {
    const bool kept = std::any_of(findings.begin(), findings.end(),
                                  [&](const Finding& f) { return f.detector == o.detector; });
    if (!kept) s = storage::DeleteFinding(txn, project, row, o.detector);
    if (!s.ok()) return s;
  }
  s = storage::SetPrimaryGroup(txn, project, row, PrimaryGroup(findings));
  if (!s.ok()) return s;
  if (computed_cost > 0) return storage::SetEstimatedCost(txn, project, row, computed_cost);
  return Status::Ok();
}

std::optional<AgentBaseline> Detection::LiveBaseline(int64_t project, const std::string& name) {
  if (std::optional<AgentBaseline> cached = baselines_.Get(project, name)) return cached;
  auto samples = store_->ReadValue(
      [&](ReadTxn& txn) { return storage::BaselineSamples(txn, project, name, kBaselineWindow); });
  if (!samples.ok()) return std::nullopt;
  AgentBaseline baseline = ComputeBaseline(samples.value());
  baselines_.Put(project, name, baseline);
  return baseline;
}

bool Detection::LoadLiveState(int64_t project, const std::string& project_id,
                              const std::string& execution_id, LiveState* st) {
  // First sight (or evicted): everything stored so far, each event slimmed as it is read. A new
  // execution loads nothing; a terminal one loads no events, since the final pass owns it.
  std::vector<LiveEvent> events;
  const auto slim = [&events](Event& e) {
    if (events.size() == limits::kMaxJudgedEvents) return storage::EventRead::kStop;
    e.fields = ExtractPayloadFields(e.payload_json);
    events.push_back(ToLiveEvent(e));
    return storage::EventRead::kDrop;  // kept here, in its compact form
  };
  auto loaded = store_->ReadValue([&](ReadTxn& txn) {
    events.clear();  // a retried read starts again
    return storage::LoadForDetection(txn, project, execution_id, slim, true);
  });
  if (!loaded.ok()) return false;
  std::optional<DetectionInput>& in = loaded.value();
  st->snapshot = ExecutionSnapshot();
  st->events.clear();
  st->written.clear();
  st->event_heap = 0;
  st->beyond = 0;
  st->next_arrival = 1;
  st->snapshot.execution.execution_id = execution_id;
  st->snapshot.execution.status = ExecutionStatus::kStarted;
  if (in) {
    st->snapshot.execution = std::move(in->execution);
    st->events = std::move(events);
    for (const LiveEvent& e : st->events) st->event_heap += LiveEventHeapBytes(e);
    st->beyond = std::max<int64_t>(0, in->event_count - static_cast<int64_t>(st->events.size()));
    st->next_arrival = static_cast<int64_t>(st->events.size()) + 1;
  }
  st->snapshot.execution.project_id = project_id;
  st->loaded = true;
  return true;
}

LivePlan Detection::PrepareLive(int64_t project, const std::string& project_id,
                                const std::vector<Event>& batch, const Policy& policy,
                                int64_t now_ms) {
  LivePlan plan;
  plan.project_id = project_id;
  plan.policy = policy;
  if (!enabled_) return plan;
  std::vector<std::string> order;  // executions in order of first appearance
  for (const Event& e : batch) {
    if (std::find(order.begin(), order.end(), e.execution_id) == order.end()) {
      order.push_back(e.execution_id);
    }
  }
  for (const std::string& execution_id : order) {
    LivePlan::Item item;
    item.execution_id = execution_id;
    const std::string key = LiveKey(project, execution_id);
    item.state = live_.Get(key);
    LiveState& st = *item.state;
    std::lock_guard<std::mutex> lock(st.mu);
    // Live detection is best effort; the final pass is exact.
    if (!st.loaded && !LoadLiveState(project, project_id, execution_id, &st)) continue;
    if (IsTerminal(st.snapshot.execution.status)) {
      live_.Forget(key);  // the final pass owns it: nothing to keep
      continue;
    }
    // Optimistically add this batch's events as new. If some turn out to be duplicates (a re-sent
    // batch), the insert count tells: ApplyLive then writes nothing for this execution and
    // FinishLive drops the cached view, so a wrong view never produces a stored finding.
    item.assumed_new = AppendBatch(batch, execution_id, &st);
    live_.Account(key, StateBytes(st));  // also what a first load read, new events or not
    if (item.assumed_new == 0) continue;
    st.snapshot.now_ms = now_ms;
    st.snapshot.baseline.reset();
    if (NeedsBaseline(policy, st.snapshot.execution)) {
      st.snapshot.baseline = LiveBaseline(project, st.snapshot.execution.name);
    }
    std::vector<DetectorError> errors;
    for (Finding& f : RunLiveDetectors(policy, &st, &errors)) {
      auto w = st.written.find(f.detector);
      if (w != st.written.end() && w->second == f.signature) continue;
      st.written[f.detector] = f.signature;  // claimed: a concurrent batch does not write it too
      item.changed.push_back(std::move(f));
    }
    LogDetectorErrors(errors, execution_id);
    item.budget = st.snapshot.execution.budget;
    item.halt_recorded = st.halt_requested || !st.snapshot.execution.halt_reason.empty();
    plan.items.push_back(std::move(item));
  }
  return plan;
}

Status Detection::ApplyLive(WriteTxn& txn, int64_t project, const LivePlan& plan,
                            const IngestResult& result, int64_t now_ms) {
  for (const LivePlan::Item& item : plan.items) {
    if (item.changed.empty()) continue;
    const TouchedExecution* t = nullptr;
    for (const TouchedExecution& x : result.touched) {
      if (x.execution_id == item.execution_id) t = &x;
    }
    // Terminal executions get the final pass; a view that assumed events the batch did not store
    // (duplicates) is wrong and writes nothing.
    if (!t || t->terminal || t->inserted != item.assumed_new) continue;
    Status s = ApplyLiveFindings(txn, project, plan.project_id, t->row_id, item.execution_id,
                                 item.changed, plan.policy, now_ms);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Detection::ApplyLiveFindings(WriteTxn& txn, int64_t project, const std::string& project_id,
                                    int64_t row, const std::string& execution_id,
                                    const std::vector<Finding>& changed, const Policy& policy,
                                    int64_t now_ms) {
  auto stored = storage::LoadFindings(txn, project, row);
  if (!stored.ok()) return stored.status();
  std::vector<Finding> all = FromStored(stored.value());
  std::vector<Finding> fresh;
  for (const Finding& f : changed) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const Finding& x) { return x.detector == f.detector; });
    // A live pass only adds findings or raises a bucket (docs/detection.md#live-and-final-passes).
    if (it == all.end() || LiveFindingSupersedes(*it, f)) fresh.push_back(f);
  }
  if (fresh.empty()) return Status::Ok();
  StoreOrderForRunaway(&fresh, policy, StoredRunawayGroup(all));
  for (const Finding& f : fresh) {
    Status s = PutFinding(txn, project, project_id, row, execution_id, ToStored(f, now_ms, "live"),
                          now_ms);
    if (!s.ok()) return s;
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const Finding& x) { return x.detector == f.detector; });
    if (it != all.end()) {
      *it = f;
    } else {
      all.push_back(f);
    }
  }
  return storage::SetPrimaryGroup(txn, project, row, PrimaryGroup(all));
}

void Detection::FinishLive(int64_t project, const LivePlan& plan, const IngestResult* result,
                           const Policy& policy, int64_t now_ms) {
  for (const LivePlan::Item& item : plan.items) {
    int64_t inserted = -1;
    if (result) {
      for (const TouchedExecution& t : result->touched) {
        if (t.execution_id == item.execution_id) inserted = t.inserted;
      }
    }
    if (inserted != item.assumed_new) {
      // The commit failed, or stored fewer events than assumed (a concurrent identical batch won
      // the race): the cached view is wrong, so forget it and reload on the next batch.
      std::lock_guard<std::mutex> lock(item.state->mu);
      item.state->loaded = false;
      item.state->written.clear();
      continue;
    }
    // Auto-halt: a live loops/cost finding under a policy or budget that asks for it, once.
    if (!auto_halt_ || item.halt_recorded) continue;
    for (const Finding& f : item.changed) {
      if (!AutoHaltApplies(f, policy, item.budget)) continue;
      bool first;
      {
        std::lock_guard<std::mutex> lock(item.state->mu);
        first = !item.state->halt_requested;
        item.state->halt_requested = true;
      }
      if (first) auto_halt_(project, item.execution_id, AutoHaltReason(f), now_ms);
      break;
    }
  }
}

void Detection::ForgetLive(int64_t project, const std::string& execution_id) {
  if (enabled_) live_.Forget(LiveKey(project, execution_id));
}

void Detection::OnExecutionWritten(int64_t project, const Execution& execution) {
  if (!enabled_) return;
  const std::string key = LiveKey(project, execution.execution_id);
  if (IsTerminal(execution.status)) {
    live_.Forget(key);
    return;
  }
  std::shared_ptr<LiveState> state = live_.Find(key);
  if (!state) return;
  std::lock_guard<std::mutex> lock(state->mu);
  const std::string project_id = state->snapshot.execution.project_id;
  state->snapshot.execution = execution;
  state->snapshot.execution.project_id = project_id;
  live_.Account(key, StateBytes(*state));
}

}  // namespace vigil
