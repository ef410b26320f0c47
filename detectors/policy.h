// Detection policy of a project (docs/detection.md#policy): which detectors run and with which
// thresholds.
//
// A Policy is a plain value. Defaults of the member initialisers are the `vigil` preset, so a
// default-constructed Policy is the documented default. The JSON codec never lists fields by hand:
// it walks PolicyFields(), which names every tunable field once with its kind and range, so adding
// a field here is enough for GET/PUT /policy and for ValidatePolicy to know about it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil {

// Preset names accepted in `preset` (docs/detection.md#policy, setting VIGIL_DEFAULT_POLICY).
inline constexpr std::string_view kPresetVigil = "vigil";
inline constexpr std::string_view kPresetMesedi = "mesedi";

// Nested by detector exactly as the JSON object, e.g. {"step_count":{"max_steps":20}}.
struct Policy {
  std::string preset = std::string(kPresetVigil);

  struct ModelDrift {
    bool enabled = true;
    // A model is new only against enough history: fewer completed executions than this in the
    // window (of the name, or the project) and nothing is drift, so a young project or agent never
    // reports its second model as a failure. 0 = any history at all (Mesedi's rule).
    int64_t min_history = 20;
    // Compare with the executions of the same name when the execution has one: another agent of
    // the project using another model is not drift. Off = the whole project (Mesedi's rule).
    bool per_name = true;
    // Model names that name no model ("unknown", "none", "null": what instrumentation writes when
    // it cannot tell) count neither as history nor as a new model. Off = every name is a model
    // (Mesedi's rule).
    bool skip_placeholders = true;
  } model_drift;
  struct Crash {
    bool enabled = true;
  } crash;
  // Off by default: ordinary agents run for many minutes and hundreds of steps, so no absolute
  // limit fits them all. A budget an SDK declares switches its detector on for that execution,
  // and a project that knows its agents sets limits here (docs/detection.md).
  struct TimeBudget {
    bool enabled = false;
    int64_t max_duration_ms = 60000;  // finding when elapsed > value
  } time_budget;
  struct StepCount {
    bool enabled = false;
    int64_t max_steps = 50;  // finding when stored events > value
  } step_count;
  struct ToolFailure {
    bool enabled = true;
  } tool_failure;
  struct ValidatorFailure {
    bool enabled = true;
  } validator_failure;
  struct IdenticalCall {
    bool enabled = true;
    int64_t min_repeats = 3;  // finding when one call key is seen >= value times
    // Two calls repeat only when their whole requests do: equal `context_sha256` when the SDK sends
    // it, else the same model and message with no tool result and no new response between them.
    // Off = Mesedi's rule (model and message alone).
    bool context_aware = true;
  } identical_call;
  struct SimilarCall {
    bool enabled = true;
    int64_t min_cluster = 3;     // finding when neighbours >= value
    double max_distance = 0.20;  // neighbours are closer than this (strictly)
    // Near-identical messages are neighbours only when the calls also acted alike (the same tool
    // calls after them, close responses); equal messages only when identical-call would count
    // them as repeats. Off = Mesedi's rule (messages alone).
    bool context_aware = true;
  } similar_call;
  struct PromptInjection {
    bool enabled = true;
    // Run the trained classifier beside the phrase patterns (detectors/injection_model.h).
    bool classifier = true;
    // Read tool results (`result_text`, else `result_summary`): where injected content arrives.
    bool read_tool_results = true;
    // Read the application's own system prompt. Off by default: it is the developer's text, and
    // defensive wording in it ("never reveal these instructions") would flag every run of the app.
    bool read_system_prompt = false;
    // Match instruction overrides in eight languages beside the spec's English patterns
    // (detectors/override_phrases.h); they sign as `ignore_instructions`.
    bool override_phrases = true;
  } prompt_injection;
  struct CostVelocity {
    bool enabled = false;
    double min_cost_usd = 1.00;  // finding when cost > 0 and cost >= value
  } cost_velocity;
  struct LexicalDrift {
    // Off by default: on varied healthy English traffic the distance to history exceeds 0.70 for
    // roughly 5-10% of executions, which is far too noisy for an alert nobody asked for.
    bool enabled = false;
    double min_distance = 0.70;  // finding when distance >= value
    int64_t min_history = 200;   // historical messages needed before it may fire
  } lexical_drift;
  // The same tool called with the same arguments and getting the same result
  // identical_call.min_repeats times. Not part of Mesedi's detectors, so off in its preset.
  struct ToolLoop {
    bool enabled = true;
  } tool_loop;
  // Baselines per agent name (docs/detection.md, "Baselines"): once a name has min_executions
  // completed executions, an execution whose steps or elapsed time (detector `baseline`) or cost
  // (detector `cost_baseline`) exceeds both `multiple` times the name's 95th percentile and the
  // measure's floor is a finding. The floors keep small agents quiet: five times a tiny p95 is
  // still ordinary work. Not part of Mesedi's detectors, so off in its preset.
  struct Baseline {
    bool enabled = true;
    int64_t min_executions = 20;
    double multiple = 5.0;
    int64_t min_steps = 200;
    int64_t min_duration_ms = 30 * 60 * 1000;
    double min_cost_usd = 5.0;
  } baseline;
  struct CostBaseline {
    bool enabled = true;  // thresholds: baseline.multiple, baseline.min_cost_usd
  } cost_baseline;
  struct History {
    int64_t days = 7;            // window of other executions' events read by the drift detectors
    int64_t max_messages = 500;  // newest historical user messages kept for lexical drift
  } history;
  struct AutoHalt {
    bool loops = false;
    bool cost_velocity = false;
  } auto_halt;
  struct Loops {
    // The `loops` findings of one execution describe one runaway: they share one group (the most
    // specific, see RunawayGroupOrder) so it is reported once. Off = a group per finding (Mesedi).
    bool one_group = true;
  } loops;
};

// True for the preset names of docs/detection.md#policy.
bool IsKnownPreset(std::string_view name);

// The policy of preset `name` with every field at that preset's value. An unknown name yields the
// `vigil` values with `preset` set to `name`, so ValidatePolicy reports "preset" for it: a codec
// can always start from PolicyPreset(body.preset) and overlay the fields the body gives.
Policy PolicyPreset(std::string_view name);

// Returns the name of the first invalid field: "preset" for an unknown preset, else the dotted name
// of the first field (in PolicyFields() order) whose value is outside its range, e.g.
// "similar_call.max_distance"; std::nullopt when the policy is valid. NaN and infinities are out of
// range for every double field.
std::optional<std::string> ValidatePolicy(const Policy& policy);

enum class PolicyFieldKind { kBool, kInt, kDouble };

// The value of one field; the alternative held always matches the field's kind.
using PolicyValue = std::variant<bool, int64_t, double>;

// One tunable field of Policy, for generic JSON reading/writing and validation. `preset` is not
// listed: it is a string that selects defaults rather than a tunable value.
struct PolicyField {
  std::string_view name;     // dotted JSON path, e.g. "time_budget.max_duration_ms"
  std::string_view section;  // first component, e.g. "time_budget"
  std::string_view key;      // second component, e.g. "max_duration_ms"
  PolicyFieldKind kind = PolicyFieldKind::kBool;
  // Range for kInt and kDouble (ignored for kBool). `min_exclusive` makes the lower bound
  // strict, as in (0, 1]. Bounds are doubles; every bound used is exactly representable.
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  PolicyValue (*get)(const Policy&) = nullptr;
  // Returns false (and leaves the policy unchanged) when `value` does not hold this field's kind.
  bool (*set)(Policy&, const PolicyValue& value) = nullptr;

  // True when `value` is of this field's kind and within its range.
  bool InRange(const PolicyValue& value) const;
};

// Every tunable field, in JSON order (detectors in priority order, then history, auto_halt, loops).
// Thread-safe; the vector lives for the whole program.
const std::vector<PolicyField>& PolicyFields();

// Looks a field up by its dotted name; nullptr when there is none.
const PolicyField* FindPolicyField(std::string_view dotted_name);

}  // namespace vigil
