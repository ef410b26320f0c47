// Failure detection (docs/detection.md): the public contract of detectors/.
//
// Every detector is a pure function of an ExecutionSnapshot and a Policy: no I/O, no clock reads,
// no logging. The caller (the detection pass in server/) loads the snapshot, runs RunDetectors,
// stamps `detected_at`/`source` on the findings and stores them with the group upserts in one
// transaction. Everything here is thread-safe; nothing keeps state between calls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/policy.h"
#include "domain/detection_rows.h"
#include "domain/model.h"

namespace vigil {

// Failure classes (docs/protocol.md#event-types-and-payloads).
inline constexpr std::string_view kClassCrashes = "crashes";
inline constexpr std::string_view kClassLoops = "loops";
inline constexpr std::string_view kClassToolFailures = "tool_failures";
inline constexpr std::string_view kClassValidatorFailures = "validator_failures";
inline constexpr std::string_view kClassDrift = "drift";
inline constexpr std::string_view kClassCostVelocity = "cost_velocity";
inline constexpr std::string_view kClassPromptInjection = "prompt_injection";

// One detector's identity. `priority` is 1-based in the order of docs/detection.md#detectors
// (Mesedi's): it orders findings and decides an execution's `failure_group_id`. `live` detectors
// also run while events arrive, so a runaway is seen before the agent reports the end.
struct DetectorInfo {
  std::string_view name;           // stored in findings.detector, e.g. "step_count"
  std::string_view failure_class;  // e.g. "loops"
  int priority;
  bool live;
};

// All fourteen detectors in priority order. The vector lives for the whole program.
const std::vector<DetectorInfo>& AllDetectors();

// The detector called `name`, or nullptr.
const DetectorInfo* FindDetector(std::string_view name);

// What one detector found about one execution. The caller adds `detected_at` and `source`.
struct Finding {
  std::string detector;
  std::string failure_class;
  std::string signature;
  std::string group_id;  // GroupId(project_id, failure_class, signature)
  int priority = 0;      // DetectorInfo::priority of `detector`
  // One sentence saying which signal fired, for a person reading the finding, e.g. "classifier
  // score 0.97 on the tool result of web_search". May be empty. Groups and stored findings are
  // keyed by detector and signature; the detail only explains.
  std::string detail;

  // Equal when every field is, the detail included: two findings that explain themselves
  // differently are different values even when they fall into the same group.
  bool operator==(const Finding& other) const {
    return detector == other.detector && failure_class == other.failure_class &&
           signature == other.signature && group_id == other.group_id &&
           priority == other.priority && detail == other.detail;
  }
};

// The project's recent past, read by the two drift detectors only. The caller builds it from
// OTHER executions of the same project (never the one under evaluation), over `llm_call` events
// whose timestamp lies in HistoryWindowFor(policy, now_ms). Raw values: the detectors trim,
// lower-case and drop empties themselves.
struct ProjectHistory {
  // Distinct `payload.model` strings seen in the window (duplicates are harmless), of the
  // executions in DriftScopeName's scope: those with the execution's name when it has one, else
  // the whole project.
  std::vector<std::string> models;
  // Completed executions of that scope that ended in the window, counted up to
  // model_drift.min_history (the detector needs to know only whether there are that many).
  int64_t completed_executions = 0;
  // Non-empty `payload.user_message` strings, newest first, at most history.max_messages (the
  // detector ignores any beyond that).
  std::vector<std::string> user_messages;
};

// --- Baselines (docs/detection.md, "Baselines") -----------------------------------------------

// A name's baseline is computed over at most this many of its most recent completed executions:
// enough for a stable 95th percentile, few enough that loading it is one short index read and a
// cached baseline is a few numbers.
inline constexpr int64_t kBaselineWindow = 200;

// What one agent name usually does: nearest-rank 95th percentiles over `executions` samples.
struct AgentBaseline {
  int64_t executions = 0;
  int64_t p95_steps = 0;
  int64_t p95_duration_ms = 0;
  double p95_cost_usd = 0;
};

// The baseline of `samples` (newest first): the first kBaselineWindow of them whose row_id is not
// `exclude_row` (0 excludes nothing). The nearest-rank 95th percentile of n values is the
// ceil(0.95 n)-th smallest; all zero when no sample is left.
AgentBaseline ComputeBaseline(const std::vector<BaselineSample>& samples, int64_t exclude_row = 0);

// Everything the detectors read about one execution.
struct ExecutionSnapshot {
  Execution execution;  // stored state, after the merge rule
  // REQUIRES: the stored events of the execution, sorted by sequence then arrival
  // (SortEventsForDetection does that): all of them, or the first ones when a pass judges only a
  // bounded prefix of a very large execution (docs/detection.md#what-a-pass-reads).
  std::vector<Event> events;
  // How many events the execution has stored, when `events` may hold fewer; 0 means
  // events.size(). Detectors that count steps read StoredEvents(), never events.size().
  int64_t event_count = 0;
  ProjectHistory history;  // may be left empty when !NeedsHistory(policy, pass)
  // The baseline of the execution's name, from its OTHER completed executions; std::nullopt when
  // the execution has no name or !NeedsBaseline(policy, execution). Live and final passes both
  // read it.
  std::optional<AgentBaseline> baseline;
  // Evaluation time. Detectors do not read it (elapsed time comes from stored timestamps,
  // docs/detection.md#detectors); it is the instant the caller used for the history window, kept so
  // a snapshot records all inputs.
  int64_t now_ms = 0;
};

// The execution's stored events: the larger of `event_count` and the events at hand.
inline int64_t StoredEvents(const ExecutionSnapshot& snapshot) {
  return std::max(snapshot.event_count, static_cast<int64_t>(snapshot.events.size()));
}

// Orders events as the detectors require: by sequence, ties by arrival.
void SortEventsForDetection(std::vector<Event>* events);

// The history window of docs/detection.md#model-drift/docs/detection.md#lexical-drift: events with
// since_ms <= timestamp <= until_ms, and at most `max_messages` user messages (newest first).
struct HistoryWindow {
  int64_t since_ms;
  int64_t until_ms;
  int64_t max_messages;
};
HistoryWindow HistoryWindowFor(const Policy& policy, int64_t now_ms);

enum class Pass {
  kLive,   // after an events batch, for non-terminal executions: Live detectors only
  kFinal,  // on a terminal status (and late events): every enabled detector
};

// Whether a pass needs ProjectHistory at all, so the caller can skip those queries (the live pass
// never does; the final pass does when a drift detector is enabled).
bool NeedsHistory(const Policy& policy, Pass pass);

// The name whose executions model drift compares with: the execution's name when it has one and
// model_drift.per_name is on; "" = the whole project.
const std::string& DriftScopeName(const Policy& policy, const Execution& execution);

// Whether the execution's name has a usable baseline for `detector` (kBaseline: steps and
// duration; kCostBaseline: cost): the detector is enabled and the name has min_executions
// completed executions. Then the name's baseline replaces the policy's absolute limits of
// step_count and time_budget (kBaseline) or cost_velocity (kCostBaseline); a budget the SDK
// declared still applies.
bool BaselineGoverns(const ExecutionSnapshot& snapshot, const Policy& policy,
                     std::string_view detector);

// Whether the baseline detectors could fire for `execution`, so the caller loads its baseline:
// one of them is enabled and the execution has a name.
bool NeedsBaseline(const Policy& policy, const Execution& execution);

// A detector that threw (only allocation failure is plausible); the pass skips it and goes on.
struct DetectorError {
  std::string detector;
  std::string message;
};

// Runs the detectors of `pass` in priority order and returns their findings in that order (at most
// one per detector). A detector runs when its policy flag is on or when a per-execution budget
// (docs/detection.md#per-execution-budgets) enables it; budget limits replace the policy
// thresholds. Detectors that throw are skipped and reported in `errors` (when given) for the caller
// to log.
std::vector<Finding> RunDetectors(const ExecutionSnapshot& snapshot, const Policy& policy,
                                  Pass pass, std::vector<DetectorError>* errors = nullptr);

// Live pass merge rule (docs/detection.md#live-and-final-passes): a live pass only adds findings or
// raises a bucket. Returns true when `fresh` should replace `stored` (same detector, both bucket
// signatures, fresh in a higher bucket). Non-bucket signatures (identical_call_...) never replace a
// stored live finding.
bool LiveFindingSupersedes(const Finding& stored, const Finding& fresh);

// "grp-" + first 16 hex of SHA-256(project_id "|" failure_class "|" signature)
// (docs/detection.md#findings-and-groups), stable across restarts and servers so the same problem
// always lands in the same group.
std::string GroupId(std::string_view project_id, std::string_view failure_class,
                    std::string_view signature);

// --- Cost (docs/detection.md#cost-velocity)
// -------------------------------------------------------------------------

struct ModelPrice {
  std::string_view key;  // the price-table key that matched, e.g. "gpt-4o-mini"
  double input_usd_per_mtok;
  double output_usd_per_mtok;
  // The rates its provider sets for this model for the parts of a call (docs/protocol.md#cached-
  // and-reasoning-tokens): input read from the prompt cache, and output spent on hidden reasoning.
  double cached_input_usd_per_mtok;
  double reasoning_usd_per_mtok;
  // The row prices only the model its key names exactly, never one its key is a prefix of
  // (docs/detection.md#price-table).
  bool exact_only = false;
};

// Price of `model`: lower-cased, then the exact key, else the longest key that is a prefix of it
// among the rows that are not exact-only. std::nullopt when no key matches (the model costs 0).
std::optional<ModelPrice> LookupPrice(std::string_view model);

// Every row of the price table, in table order (the dashboard estimates per-call costs with it).
std::vector<ModelPrice> PriceTable();

// Σ over llm_call events, in order, of CallCostUsd. Unpriced or missing models cost 0.
double ComputeCostUsd(const std::vector<Event>& events);

// The same sum kept one event at a time, for a reader that does not hold every event: Add each in
// order (other event types add nothing). A run of calls to one model looks its price up once.
class CallCostSum {
 public:
  void Add(const Event& event);
  double total() const { return total_; }

 private:
  std::string model_;  // the model last looked up
  bool looked_up_ = false;
  std::optional<ModelPrice> price_;  // its price
  double total_ = 0;
};

// One call at `price`: (input_tokens / 1e6) × in + (output_tokens / 1e6) × out, where the
// cached_input_tokens part of the input is priced at the cached rate and the reasoning_tokens part
// of the output at the reasoning rate. Missing counts are 0; a part larger than its total counts as
// the total.
double CallCostUsd(const ModelPrice& price, const PayloadFields& fields);

// The stored estimated_cost_usd when present (> 0), else ComputeCostUsd(events).
double EffectiveCostUsd(const Execution& execution, const std::vector<Event>& events);

// --- Elapsed time (docs/detection.md#detectors)
// -------------------------------------------------------------------

// Stored duration_ms; else ended_at − started_at; else the latest event timestamp − started_at;
// never negative; 0 when none of these is known.
int64_t ElapsedMs(const Execution& execution, const std::vector<Event>& events);

// --- Auto-halt (docs/detection.md#auto-halt)
// ----------------------------------------------------------------------

// Whether a LIVE finding asks for a halt: class `loops` or `cost_velocity` with the applicable flag
// on. The budget's `auto_halt`, when present, overrides both policy flags. The caller must still
// check that no halt is recorded for the execution (halt_requested_at_ms == 0) and that the
// finding came from the live pass.
bool AutoHaltApplies(const Finding& finding, const Policy& policy,
                     const std::optional<Budget>& budget);

// "auto_halt: <failure_class> <signature>", the halt reason of docs/detection.md#auto-halt.
std::string AutoHaltReason(const Finding& finding);

// --- The detectors, in priority order -----------------------------------------------------------
// Each returns std::nullopt when its detector is disabled (and no budget enables it) or when the
// execution does not show its signal. Each may be called directly; RunDetectors adds only the
// ordering and the live/final selection.

std::optional<Finding> DetectModelDrift(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectCrash(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectTimeBudget(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectStepCount(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectToolFailure(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectValidatorFailure(const ExecutionSnapshot& snapshot,
                                              const Policy& policy);
std::optional<Finding> DetectIdenticalCall(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectSimilarCall(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectPromptInjection(const ExecutionSnapshot& snapshot,
                                             const Policy& policy);
std::optional<Finding> DetectCostVelocity(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectLexicalDrift(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectToolLoop(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectBaseline(const ExecutionSnapshot& snapshot, const Policy& policy);
std::optional<Finding> DetectCostBaseline(const ExecutionSnapshot& snapshot, const Policy& policy);

// Call keys used by the identical-call loop: first 8 hex of SHA-256(model "\0" user_message).
std::string IdenticalCallKey(std::string_view model, std::string_view user_message);
// The same key as a number (the detector sorts these); IdenticalCallKey is its 8-digit hex.
uint32_t IdenticalCallHash(std::string_view model, std::string_view user_message);

// --- Loop identities (docs/detection.md)
// ---------------------------------------------------------- Computed by the codec when it extracts
// PayloadFields, so the live pass compares numbers.

// A tool call's key: the first four bytes of SHA-256(tool_name "\0" arguments), `arguments` being
// the minified JSON of the payload's `arguments` (empty when absent). Its 8-digit hex signs a
// tool_loop finding: tool_loop_<hex>.
uint32_t ToolCallHash(std::string_view tool_name, std::string_view arguments_json);

// What a tool loop compares besides the key: the call's status and result (result_text, else
// result_summary, else the exception's type and message). std::nullopt when the call carries none
// of those, because then a repeat cannot be told from progress.
std::optional<uint64_t> ToolResultDigest(std::string_view status,
                                         std::optional<std::string_view> result_text,
                                         std::optional<std::string_view> result_summary,
                                         std::optional<std::string_view> exception_type,
                                         std::optional<std::string_view> exception_message);

// A digest of a text (an llm_call's response) for equality tests: the first eight bytes of its
// SHA-256.
uint64_t ContentDigest(std::string_view text);

// The first 8 bytes of `context_sha256` when it is exactly 64 lower-case hex digits (the protocol
// extension's form); std::nullopt for anything else.
std::optional<uint64_t> ParseContextSha256(std::string_view hex);

// --- One runaway, one group (docs/detection.md)
// ---------------------------------------------------

// Rank of a loops detector as a description of a runaway, most specific first: identical call and
// tool loop name the repeated call, similar call a cluster of messages, step count and time budget
// only a size bucket. std::nullopt for a detector that does not describe a runaway.
std::optional<int> RunawayRank(std::string_view detector);

// With policy.loops.one_group, the `loops` findings of one execution share one group: the group
// `stored_group` when the execution already has one (its runaway never moves, so it is reported
// once), else the group of the most specific of `findings` (RunawayRank). Rewrites the group_id of
// every loops finding in `findings` to it and returns the index of the finding whose group that is
// (the one to store first, because a group takes its signature from its first finding), or
// std::nullopt when the group is `stored_group` or no finding is of class loops. Other findings
// and other policies are left unchanged.
std::optional<size_t> GroupRunaway(std::vector<Finding>* findings, const Policy& policy,
                                   std::string_view stored_group);

// The group the stored `findings` of an execution already give its runaway: the group of the most
// specific loops finding among them; empty when there is none.
std::string StoredRunawayGroup(const std::vector<Finding>& findings);

}  // namespace vigil
