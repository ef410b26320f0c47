#include "detectors/policy.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

namespace vigil {
namespace {

// The thresholds in which the presets differ; the rest of CheckThresholds is the same for both.
struct PresetThresholds {
  int64_t max_duration_ms;
  int64_t max_steps;
  double min_cost_usd;
  double lexical_min_distance;
  int64_t lexical_min_history;
};

// The loop, cost, drift and history thresholds of `p`, and that it halts nothing by itself.
void CheckThresholds(const Policy& p, const PresetThresholds& want) {
  CHECK(p.time_budget.max_duration_ms == want.max_duration_ms);
  CHECK(p.step_count.max_steps == want.max_steps);
  CHECK(p.identical_call.min_repeats == 3);
  CHECK(p.similar_call.min_cluster == 3);
  CHECK(p.similar_call.max_distance == 0.20);
  CHECK(p.cost_velocity.min_cost_usd == want.min_cost_usd);
  CHECK(p.lexical_drift.min_distance == want.lexical_min_distance);
  CHECK(p.lexical_drift.min_history == want.lexical_min_history);
  CHECK(p.history.days == 7);
  CHECK(p.history.max_messages == 500);
  CHECK_FALSE(p.auto_halt.loops);
  CHECK_FALSE(p.auto_halt.cost_velocity);
}

TEST_CASE("The vigil preset has the documented defaults") {
  const Policy p = PolicyPreset("vigil");
  CHECK(p.preset == "vigil");
  CHECK(p.model_drift.enabled);
  CHECK(p.crash.enabled);
  // Absolute limits are off: they come from budgets an SDK declares, or from the project's policy.
  CHECK_FALSE(p.time_budget.enabled);
  CHECK_FALSE(p.step_count.enabled);
  CHECK_FALSE(p.cost_velocity.enabled);
  CHECK(p.tool_failure.enabled);
  CHECK(p.validator_failure.enabled);
  CHECK(p.identical_call.enabled);
  CHECK(p.similar_call.enabled);
  CHECK(p.prompt_injection.enabled);
  CHECK(p.prompt_injection.classifier);
  CHECK(p.prompt_injection.read_tool_results);
  CHECK_FALSE(p.prompt_injection.read_system_prompt);
  CHECK(p.prompt_injection.override_phrases);
  CHECK_FALSE(p.lexical_drift.enabled);
  CHECK(p.tool_loop.enabled);
  CHECK(p.identical_call.context_aware);
  CHECK(p.similar_call.context_aware);
  CHECK(p.loops.one_group);
  CheckThresholds(p, {60000, 50, 1.00, 0.70, 200});
  CHECK_FALSE(ValidatePolicy(p).has_value());
}

TEST_CASE("A default-constructed Policy is the vigil preset") {
  const Policy fresh;
  const Policy vigil = PolicyPreset("vigil");
  for (const PolicyField& field : PolicyFields()) {
    CAPTURE(field.name);
    CHECK(field.get(fresh) == field.get(vigil));
  }
  CHECK(fresh.preset == "vigil");
}

TEST_CASE("The mesedi preset reproduces Mesedi's thresholds") {
  const Policy p = PolicyPreset("mesedi");
  CHECK(p.preset == "mesedi");
  for (const PolicyField& field : PolicyFields()) {
    if (field.kind == PolicyFieldKind::kBool && field.key == "enabled" &&
        field.section != "tool_loop" && field.section != "baseline" &&
        field.section != "cost_baseline") {
      CAPTURE(field.name);
      CHECK(std::get<bool>(field.get(p)));  // every detector of Mesedi's on, lexical drift too
    }
  }
  // Mesedi's rules: loops keyed on the message alone, no tool-loop detector, a group per finding;
  // no baselines; drift against any history of the whole project.
  CHECK_FALSE(p.tool_loop.enabled);
  CHECK_FALSE(p.baseline.enabled);
  CHECK_FALSE(p.cost_baseline.enabled);
  CHECK(p.model_drift.min_history == 0);
  CHECK_FALSE(p.model_drift.per_name);
  CHECK_FALSE(p.identical_call.context_aware);
  CHECK_FALSE(p.similar_call.context_aware);
  CHECK_FALSE(p.loops.one_group);
  CheckThresholds(p, {1000, 10, 0.001, 0.45, 0});
  // Mesedi's injection detector: phrase patterns on user messages and system prompts only.
  CHECK_FALSE(p.prompt_injection.classifier);
  CHECK_FALSE(p.prompt_injection.read_tool_results);
  CHECK(p.prompt_injection.read_system_prompt);
  CHECK_FALSE(p.prompt_injection.override_phrases);
  CHECK_FALSE(ValidatePolicy(p).has_value());
}

TEST_CASE("An unknown preset is reported by ValidatePolicy as the preset field") {
  CHECK(IsKnownPreset("vigil"));
  CHECK(IsKnownPreset("mesedi"));
  CHECK_FALSE(IsKnownPreset("Vigil"));
  CHECK_FALSE(IsKnownPreset(""));
  const Policy p = PolicyPreset("strict");
  CHECK(p.preset == "strict");
  CHECK(ValidatePolicy(p) == std::optional<std::string>("preset"));
}

TEST_CASE("ValidatePolicy accepts every range boundary") {
  Policy p;
  p.time_budget.max_duration_ms = 0;
  p.step_count.max_steps = 0;
  p.identical_call.min_repeats = 2;
  p.similar_call.min_cluster = 2;
  p.similar_call.max_distance = 1.0;
  p.cost_velocity.min_cost_usd = 0;
  p.lexical_drift.min_distance = 0.45;
  p.lexical_drift.min_history = 10000;
  p.history.days = 90;
  p.history.max_messages = 10000;
  CHECK_FALSE(ValidatePolicy(p).has_value());
  p.similar_call.max_distance = 1e-9;
  p.lexical_drift.min_distance = 1.0;
  p.lexical_drift.min_history = 0;
  p.history.days = 1;
  p.history.max_messages = 1;
  CHECK_FALSE(ValidatePolicy(p).has_value());
}

TEST_CASE("ValidatePolicy names the first field that is out of range") {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* field;
    void (*breaks)(Policy&);
  };
  const Case cases[] = {
      {"time_budget.max_duration_ms", [](Policy& p) { p.time_budget.max_duration_ms = -1; }},
      {"step_count.max_steps", [](Policy& p) { p.step_count.max_steps = -1; }},
      {"identical_call.min_repeats", [](Policy& p) { p.identical_call.min_repeats = 1; }},
      {"similar_call.min_cluster", [](Policy& p) { p.similar_call.min_cluster = 1; }},
      {"similar_call.max_distance", [](Policy& p) { p.similar_call.max_distance = 0; }},
      {"similar_call.max_distance", [](Policy& p) { p.similar_call.max_distance = 1.0001; }},
      {"similar_call.max_distance", [](Policy& p) { p.similar_call.max_distance = kNaN; }},
      {"cost_velocity.min_cost_usd", [](Policy& p) { p.cost_velocity.min_cost_usd = -0.01; }},
      {"cost_velocity.min_cost_usd", [](Policy& p) { p.cost_velocity.min_cost_usd = kInf; }},
      {"lexical_drift.min_distance", [](Policy& p) { p.lexical_drift.min_distance = 0.4499; }},
      {"lexical_drift.min_distance", [](Policy& p) { p.lexical_drift.min_distance = 1.01; }},
      {"lexical_drift.min_history", [](Policy& p) { p.lexical_drift.min_history = -1; }},
      {"lexical_drift.min_history", [](Policy& p) { p.lexical_drift.min_history = 10001; }},
      {"history.days", [](Policy& p) { p.history.days = 0; }},
      {"history.days", [](Policy& p) { p.history.days = 91; }},
      {"history.max_messages", [](Policy& p) { p.history.max_messages = 0; }},
      {"history.max_messages", [](Policy& p) { p.history.max_messages = 10001; }},
  };
  for (const Case& c : cases) {
    CAPTURE(c.field);
    Policy p = PolicyPreset("mesedi");
    c.breaks(p);
    CHECK(ValidatePolicy(p) == std::optional<std::string>(c.field));
  }
  // Two bad fields: the first in table order is named.
  Policy p;
  p.history.days = 0;
  p.step_count.max_steps = -3;
  CHECK(ValidatePolicy(p) == std::optional<std::string>("step_count.max_steps"));
}

TEST_CASE("PolicyFields lists every field once with a dotted name matching section and key") {
  std::set<std::string_view> names;
  int enabled_flags = 0;
  for (const PolicyField& field : PolicyFields()) {
    CAPTURE(field.name);
    CHECK(names.insert(field.name).second);
    CHECK(std::string(field.section) + "." + std::string(field.key) == field.name);
    CHECK(FindPolicyField(field.name) == &field);
    if (field.key == "enabled") ++enabled_flags;
  }
  CHECK(enabled_flags == 14);
  // Enabled flags; thresholds and history; the two context_aware rules; auto_halt flags;
  // loops.one_group; prompt_injection's four switches; model drift's minimum history, scope and
  // placeholders; the baseline's thresholds.
  CHECK(names.size() == 14 + 10 + 2 + 2 + 1 + 4 + 3 + 5);
  CHECK(FindPolicyField("similar_call.max_distance")->kind == PolicyFieldKind::kDouble);
  CHECK(FindPolicyField("history.days")->kind == PolicyFieldKind::kInt);
  CHECK(FindPolicyField("auto_halt.loops")->kind == PolicyFieldKind::kBool);
  CHECK(FindPolicyField("preset") == nullptr);
  CHECK(FindPolicyField("nope.nothing") == nullptr);
}

TEST_CASE("PolicyField set writes the member get reads, and refuses a value of another kind") {
  Policy p;
  const PolicyField* days = FindPolicyField("history.days");
  REQUIRE(days);
  CHECK(days->set(p, PolicyValue(int64_t{30})));
  CHECK(p.history.days == 30);
  CHECK(std::get<int64_t>(days->get(p)) == 30);
  CHECK_FALSE(days->set(p, PolicyValue(30.0)));
  CHECK_FALSE(days->set(p, PolicyValue(true)));
  CHECK(p.history.days == 30);

  const PolicyField* distance = FindPolicyField("similar_call.max_distance");
  CHECK(distance->set(p, PolicyValue(0.35)));
  CHECK(p.similar_call.max_distance == 0.35);

  const PolicyField* halt = FindPolicyField("auto_halt.cost_velocity");
  CHECK(halt->set(p, PolicyValue(true)));
  CHECK(p.auto_halt.cost_velocity);

  // Every field round-trips its own value, so a codec can copy a policy field by field.
  const Policy mesedi = PolicyPreset("mesedi");
  Policy copy;
  for (const PolicyField& field : PolicyFields()) CHECK(field.set(copy, field.get(mesedi)));
  for (const PolicyField& field : PolicyFields()) CHECK(field.get(copy) == field.get(mesedi));
}

TEST_CASE("PolicyField InRange checks kind and bounds") {
  const PolicyField* distance = FindPolicyField("similar_call.max_distance");
  CHECK(distance->InRange(PolicyValue(0.5)));
  CHECK_FALSE(distance->InRange(PolicyValue(0.0)));
  CHECK_FALSE(distance->InRange(PolicyValue(int64_t{1})));
  const PolicyField* steps = FindPolicyField("step_count.max_steps");
  CHECK(steps->InRange(PolicyValue(std::numeric_limits<int64_t>::max())));
  CHECK_FALSE(steps->InRange(PolicyValue(int64_t{-1})));
  const PolicyField* flag = FindPolicyField("crash.enabled");
  CHECK(flag->InRange(PolicyValue(false)));
  CHECK_FALSE(flag->InRange(PolicyValue(int64_t{0})));
}

}  // namespace
}  // namespace vigil
