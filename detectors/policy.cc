#include "detectors/policy.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "detectors/detectors.h"

namespace vigil {
namespace {

constexpr double kNoMax = std::numeric_limits<double>::infinity();
// The largest baseline.min_executions: a baseline never holds more samples than its window.
constexpr double kMaxBaselineExecutions = static_cast<double>(kBaselineWindow);

// Reads and writes `(policy.*kSection).*kKey` for any section struct and member type, so the field
// table below names each field once instead of carrying a hand-written getter/setter pair.
template <auto kSection, auto kKey>
PolicyValue GetField(const Policy& policy) {
  return PolicyValue((policy.*kSection).*kKey);
}

template <auto kSection, auto kKey>
bool SetField(Policy& policy, const PolicyValue& value) {
  using T = std::decay_t<decltype((policy.*kSection).*kKey)>;
  const T* typed = std::get_if<T>(&value);
  if (typed == nullptr) return false;
  (policy.*kSection).*kKey = *typed;
  return true;
}

template <auto kSection, auto kKey>
PolicyField Field(std::string_view name, std::string_view section, std::string_view key,
                  PolicyFieldKind kind, double min, double max, bool min_exclusive) {
  PolicyField field;
  field.name = name;
  field.section = section;
  field.key = key;
  field.kind = kind;
  field.min = min;
  field.max = max;
  field.min_exclusive = min_exclusive;
  field.get = &GetField<kSection, kKey>;
  field.set = &SetField<kSection, kKey>;
  return field;
}

template <auto kSection, auto kKey>
PolicyField Bool(std::string_view name, std::string_view section, std::string_view key) {
  return Field<kSection, kKey>(name, section, key, PolicyFieldKind::kBool, 0, 0, false);
}

template <auto kSection, auto kKey>
PolicyField Int(std::string_view name, std::string_view section, std::string_view key, double min,
                double max) {
  return Field<kSection, kKey>(name, section, key, PolicyFieldKind::kInt, min, max, false);
}

template <auto kSection, auto kKey>
PolicyField Double(std::string_view name, std::string_view section, std::string_view key,
                   double min, double max, bool min_exclusive) {
  return Field<kSection, kKey>(name, section, key, PolicyFieldKind::kDouble, min, max,
                               min_exclusive);
}

std::vector<PolicyField> BuildFields() {
  using P = Policy;
  // Ranges are those of docs/detection.md#policy. Integer thresholds without an upper bound in the
  // spec get none: any int64 a JSON codec accepts is meaningful (a huge threshold simply never
  // fires).
  return {
      Bool<&P::model_drift, &P::ModelDrift::enabled>("model_drift.enabled", "model_drift",
                                                     "enabled"),
      Int<&P::model_drift, &P::ModelDrift::min_history>("model_drift.min_history", "model_drift",
                                                        "min_history", 0, 10000),
      Bool<&P::model_drift, &P::ModelDrift::per_name>("model_drift.per_name", "model_drift",
                                                      "per_name"),
      Bool<&P::model_drift, &P::ModelDrift::skip_placeholders>("model_drift.skip_placeholders",
                                                               "model_drift", "skip_placeholders"),
      Bool<&P::crash, &P::Crash::enabled>("crash.enabled", "crash", "enabled"),
      Bool<&P::time_budget, &P::TimeBudget::enabled>("time_budget.enabled", "time_budget",
                                                     "enabled"),
      Int<&P::time_budget, &P::TimeBudget::max_duration_ms>(
          "time_budget.max_duration_ms", "time_budget", "max_duration_ms", 0, kNoMax),
      Bool<&P::step_count, &P::StepCount::enabled>("step_count.enabled", "step_count", "enabled"),
      Int<&P::step_count, &P::StepCount::max_steps>("step_count.max_steps", "step_count",
                                                    "max_steps", 0, kNoMax),
      Bool<&P::tool_failure, &P::ToolFailure::enabled>("tool_failure.enabled", "tool_failure",
                                                       "enabled"),
      Bool<&P::validator_failure, &P::ValidatorFailure::enabled>("validator_failure.enabled",
                                                                 "validator_failure", "enabled"),
      Bool<&P::identical_call, &P::IdenticalCall::enabled>("identical_call.enabled",
                                                           "identical_call", "enabled"),
      Int<&P::identical_call, &P::IdenticalCall::min_repeats>(
          "identical_call.min_repeats", "identical_call", "min_repeats", 2, kNoMax),
      Bool<&P::identical_call, &P::IdenticalCall::context_aware>("identical_call.context_aware",
                                                                 "identical_call", "context_aware"),
      Bool<&P::similar_call, &P::SimilarCall::enabled>("similar_call.enabled", "similar_call",
                                                       "enabled"),
      Int<&P::similar_call, &P::SimilarCall::min_cluster>("similar_call.min_cluster",
                                                          "similar_call", "min_cluster", 2, kNoMax),
      Double<&P::similar_call, &P::SimilarCall::max_distance>(
          "similar_call.max_distance", "similar_call", "max_distance", 0, 1, true),
      Bool<&P::similar_call, &P::SimilarCall::context_aware>("similar_call.context_aware",
                                                             "similar_call", "context_aware"),
      Bool<&P::prompt_injection, &P::PromptInjection::enabled>("prompt_injection.enabled",
                                                               "prompt_injection", "enabled"),
      Bool<&P::prompt_injection, &P::PromptInjection::classifier>("prompt_injection.classifier",
                                                                  "prompt_injection", "classifier"),
      Bool<&P::prompt_injection, &P::PromptInjection::read_tool_results>(
          "prompt_injection.read_tool_results", "prompt_injection", "read_tool_results"),
      Bool<&P::prompt_injection, &P::PromptInjection::read_system_prompt>(
          "prompt_injection.read_system_prompt", "prompt_injection", "read_system_prompt"),
      Bool<&P::prompt_injection, &P::PromptInjection::override_phrases>(
          "prompt_injection.override_phrases", "prompt_injection", "override_phrases"),
      Bool<&P::cost_velocity, &P::CostVelocity::enabled>("cost_velocity.enabled", "cost_velocity",
                                                         "enabled"),
      Double<&P::cost_velocity, &P::CostVelocity::min_cost_usd>(
          "cost_velocity.min_cost_usd", "cost_velocity", "min_cost_usd", 0, kNoMax, false),
      Bool<&P::lexical_drift, &P::LexicalDrift::enabled>("lexical_drift.enabled", "lexical_drift",
                                                         "enabled"),
      Double<&P::lexical_drift, &P::LexicalDrift::min_distance>(
          "lexical_drift.min_distance", "lexical_drift", "min_distance", 0.45, 1, false),
      Int<&P::lexical_drift, &P::LexicalDrift::min_history>(
          "lexical_drift.min_history", "lexical_drift", "min_history", 0, 10000),
      Bool<&P::tool_loop, &P::ToolLoop::enabled>("tool_loop.enabled", "tool_loop", "enabled"),
      Bool<&P::baseline, &P::Baseline::enabled>("baseline.enabled", "baseline", "enabled"),
      Int<&P::baseline, &P::Baseline::min_executions>("baseline.min_executions", "baseline",
                                                      "min_executions", 1, kMaxBaselineExecutions),
      Double<&P::baseline, &P::Baseline::multiple>("baseline.multiple", "baseline", "multiple", 1,
                                                   kNoMax, false),
      Int<&P::baseline, &P::Baseline::min_steps>("baseline.min_steps", "baseline", "min_steps", 0,
                                                 kNoMax),
      Int<&P::baseline, &P::Baseline::min_duration_ms>("baseline.min_duration_ms", "baseline",
                                                       "min_duration_ms", 0, kNoMax),
      Double<&P::baseline, &P::Baseline::min_cost_usd>("baseline.min_cost_usd", "baseline",
                                                       "min_cost_usd", 0, kNoMax, false),
      Bool<&P::cost_baseline, &P::CostBaseline::enabled>("cost_baseline.enabled", "cost_baseline",
                                                         "enabled"),
      Int<&P::history, &P::History::days>("history.days", "history", "days", 1, 90),
      Int<&P::history, &P::History::max_messages>("history.max_messages", "history", "max_messages",
                                                  1, 10000),
      Bool<&P::auto_halt, &P::AutoHalt::loops>("auto_halt.loops", "auto_halt", "loops"),
      Bool<&P::auto_halt, &P::AutoHalt::cost_velocity>("auto_halt.cost_velocity", "auto_halt",
                                                       "cost_velocity"),
      Bool<&P::loops, &P::Loops::one_group>("loops.one_group", "loops", "one_group"),
  };
}

}  // namespace

bool PolicyField::InRange(const PolicyValue& value) const {
  switch (kind) {
    case PolicyFieldKind::kBool:
      return std::holds_alternative<bool>(value);
    case PolicyFieldKind::kInt: {
      const int64_t* v = std::get_if<int64_t>(&value);
      if (v == nullptr) return false;
      // Bounds are small integers, so the int64 -> double conversion cannot misjudge a bound.
      const double d = static_cast<double>(*v);
      return (min_exclusive ? d > min : d >= min) && d <= max;
    }
    case PolicyFieldKind::kDouble: {
      const double* v = std::get_if<double>(&value);
      if (v == nullptr || !std::isfinite(*v)) return false;
      return (min_exclusive ? *v > min : *v >= min) && *v <= max;
    }
  }
  return false;
}

const std::vector<PolicyField>& PolicyFields() {
  static const std::vector<PolicyField> fields = BuildFields();
  return fields;
}

const PolicyField* FindPolicyField(std::string_view dotted_name) {
  for (const PolicyField& field : PolicyFields()) {
    if (field.name == dotted_name) return &field;
  }
  return nullptr;
}

bool IsKnownPreset(std::string_view name) { return name == kPresetVigil || name == kPresetMesedi; }

Policy PolicyPreset(std::string_view name) {
  Policy policy;  // member initialisers are the `vigil` preset
  policy.preset = std::string(name);
  if (name == kPresetMesedi) {
    // Mesedi's hard-coded thresholds and rules, so `failure_group_id` matches what Mesedi would
    // assign: every detector of its own on, loops keyed on the message alone, a group per finding.
    policy.time_budget.enabled = true;
    policy.time_budget.max_duration_ms = 1000;
    policy.step_count.enabled = true;
    policy.step_count.max_steps = 10;
    policy.identical_call.min_repeats = 3;
    policy.identical_call.context_aware = false;
    policy.similar_call.min_cluster = 3;
    policy.similar_call.max_distance = 0.20;
    policy.similar_call.context_aware = false;
    policy.cost_velocity.enabled = true;
    policy.cost_velocity.min_cost_usd = 0.001;
    policy.lexical_drift.enabled = true;
    policy.lexical_drift.min_distance = 0.45;
    policy.lexical_drift.min_history = 0;
    policy.history.days = 7;
    policy.history.max_messages = 500;
    policy.tool_loop.enabled = false;
    policy.loops.one_group = false;
    // Mesedi's drift: any history at all, of the whole project. No baselines.
    policy.model_drift.min_history = 0;
    policy.model_drift.per_name = false;
    policy.model_drift.skip_placeholders = false;
    policy.baseline.enabled = false;
    policy.cost_baseline.enabled = false;
    // Mesedi's injection detector: the phrase patterns on user messages and system prompts only.
    policy.prompt_injection.classifier = false;
    policy.prompt_injection.read_tool_results = false;
    policy.prompt_injection.read_system_prompt = true;
    policy.prompt_injection.override_phrases = false;
  }
  return policy;
}

std::optional<std::string> ValidatePolicy(const Policy& policy) {
  if (!IsKnownPreset(policy.preset)) return std::string("preset");
  for (const PolicyField& field : PolicyFields()) {
    if (!field.InRange(field.get(policy))) return std::string(field.name);
  }
  return std::nullopt;
}

}  // namespace vigil
