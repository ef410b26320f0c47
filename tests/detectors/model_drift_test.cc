#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;

// A snapshot whose scope (its name, or the project) has `completed` earlier completed executions
// that used `models`; by default just enough history for drift to be judged.
ExecutionSnapshot WithHistory(std::vector<Event> events, std::vector<std::string> models,
                              int64_t completed = Policy{}.model_drift.min_history) {
  ExecutionSnapshot snapshot = MakeSnapshot(std::move(events));
  snapshot.history.models = std::move(models);
  snapshot.history.completed_executions = completed;
  return snapshot;
}

TEST_CASE("DetectModelDrift fires on a model the project has not used in its history") {
  const auto finding =
      DetectModelDrift(WithHistory({LlmCall("gpt-4o", "Hello")}, {"claude-sonnet-4-6"}), Policy{});
  REQUIRE(finding);
  CHECK(finding->detector == "model_drift");
  CHECK(finding->failure_class == "drift");
  CHECK(finding->signature == "new_model:gpt-4o");
  CHECK(finding->group_id ==
        "grp-19ca47be121ef37f");  // docs/protocol.md#test-vectors, project proj-dev
  CHECK(finding->priority == 1);
}

TEST_CASE("DetectModelDrift stays quiet when every model is known or there is no history") {
  struct Case {
    const char* name;
    std::vector<Event> events;
    std::vector<std::string> history;
  };
  const Case cases[] = {
      {"known model", {LlmCall("gpt-4o", "a")}, {"gpt-4o", "o1"}},
      {"no history: a project's first execution", {LlmCall("gpt-4o", "a")}, {}},
      {"history of only blank models", {LlmCall("gpt-4o", "a")}, {"", "  "}},
      {"no llm calls", {test::ToolCall("search", "ok")}, {"gpt-4o"}},
      {"only a blank model", {LlmCall("  ", "a")}, {"gpt-4o"}},
      {"known after trim and lower-case", {LlmCall("  GPT-4o\t", "a")}, {"gpt-4O "}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK_FALSE(DetectModelDrift(WithHistory(c.events, c.history), Policy{}));
  }
}

TEST_CASE("DetectModelDrift names the byte-wise smallest new model") {
  const auto finding = DetectModelDrift(
      WithHistory({LlmCall("o1", "a"), LlmCall("gpt-4o", "b"), LlmCall("claude-opus-4-6", "c"),
                   LlmCall("Claude-Haiku-4-5", "d")},
                  {"claude-opus-4-6"}),
      Policy{});
  test::CheckSignature(finding, "new_model:claude-haiku-4-5");
}

TEST_CASE("DetectModelDrift skips placeholder model names unless the policy counts them") {
  const auto placeholder = WithHistory({LlmCall("Unknown", "a")}, {"gpt-4o"});
  CHECK_FALSE(DetectModelDrift(placeholder, Policy{}));
  // Placeholders in the history are no models either: a history of only them is no history.
  CHECK(DetectModelDrift(WithHistory({LlmCall("gpt-4o", "a")}, {"unknown", "none"}), Policy{}) ==
        std::nullopt);
  const auto counted = DetectModelDrift(placeholder, PolicyPreset(std::string(kPresetMesedi)));
  REQUIRE(counted);
  CHECK(counted->signature == "new_model:unknown");
}

TEST_CASE("DetectModelDrift ignores events that are not llm calls or have no model") {
  Event checkpoint = test::Checkpoint();
  checkpoint.fields.model = "brand-new";
  Event no_model = test::MakeEvent("llm_call");
  CHECK_FALSE(DetectModelDrift(
      WithHistory({checkpoint, no_model, LlmCall("gpt-4o", "a")}, {"gpt-4o"}), Policy{}));
}

TEST_CASE("DetectModelDrift waits for min_history completed executions before a model is new") {
  const Policy policy;
  REQUIRE(policy.model_drift.min_history == 20);
  // A young project (or agent) picking its second model is a choice, not drift.
  CHECK_FALSE(DetectModelDrift(WithHistory({LlmCall("gpt-4o", "a")}, {"o1"}, 0), policy));
  CHECK_FALSE(DetectModelDrift(WithHistory({LlmCall("gpt-4o", "a")}, {"o1"}, 19), policy));
  CHECK(DetectModelDrift(WithHistory({LlmCall("gpt-4o", "a")}, {"o1"}, 20), policy));
  // Mesedi's rule: any history at all.
  const Policy mesedi = PolicyPreset("mesedi");
  CHECK(mesedi.model_drift.min_history == 0);
  CHECK(DetectModelDrift(WithHistory({LlmCall("gpt-4o", "a")}, {"o1"}, 0), mesedi));
}

TEST_CASE("DriftScopeName is the execution's name under vigil and the project under mesedi") {
  Execution named;
  named.name = "support-agent";
  CHECK(DriftScopeName(Policy{}, named) == "support-agent");
  CHECK(DriftScopeName(PolicyPreset("mesedi"), named).empty());
  CHECK(DriftScopeName(Policy{}, Execution{}).empty());  // no name: the whole project
}

TEST_CASE("DetectModelDrift is off when the policy disables it") {
  Policy policy;
  policy.model_drift.enabled = false;
  CHECK_FALSE(DetectModelDrift(WithHistory({LlmCall("gpt-4o", "a")}, {"o1"}), policy));
}

}  // namespace
}  // namespace vigil
