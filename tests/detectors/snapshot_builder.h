// Builders for detector tests: events and snapshots with realistic defaults, so each test states
// only what it is about.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "detectors/detectors.h"
#include "domain/model.h"

namespace vigil::test {

inline constexpr int64_t kStartMs = 1'778'839'200'000;  // 2026-05-15T10:00:00Z
inline constexpr char kProject[] = "proj-dev";

inline Event MakeEvent(std::string type) {
  Event event;
  event.type = EventTypeOf(type);
  event.event_type = std::move(type);
  event.payload_json = "{}";
  return event;
}

inline Event LlmCall(std::string model, std::string user_message, int64_t input_tokens = 0,
                     int64_t output_tokens = 0) {
  Event event = MakeEvent("llm_call");
  event.fields.model = std::move(model);
  event.fields.user_message = std::move(user_message);
  event.fields.status = "ok";
  if (input_tokens > 0) event.fields.input_tokens = input_tokens;
  if (output_tokens > 0) event.fields.output_tokens = output_tokens;
  return event;
}

inline Event LlmCallWithSystem(std::string model, std::string user_message,
                               std::string system_prompt) {
  Event event = LlmCall(std::move(model), std::move(user_message));
  event.fields.system_prompt = std::move(system_prompt);
  return event;
}

inline Event ToolCall(std::string tool_name, std::string status) {
  Event event = MakeEvent("tool_call");
  event.fields.tool_name = std::move(tool_name);
  event.fields.status = std::move(status);
  return event;
}

// A successful tool call whose output our SDKs sent as `result_text`.
inline Event ToolResult(std::string tool_name, std::string result_text) {
  Event event = ToolCall(std::move(tool_name), "ok");
  event.fields.result_text = std::move(result_text);
  return event;
}

inline Event ValidatorResult(std::string name, bool passed) {
  Event event = MakeEvent("validator_result");
  event.fields.name = std::move(name);
  event.fields.passed_is_false = !passed;
  return event;
}

inline Event Checkpoint() { return MakeEvent("checkpoint"); }

// An llm_call whose request the SDK digested (context_sha256): `context` stands for its digest.
inline Event WithContext(Event event, uint64_t context) {
  event.fields.context_digest = context;
  return event;
}

// An llm_call with the model's response, digested as the codec does.
inline Event WithResponse(Event event, std::string response_text) {
  event.fields.response_digest = ContentDigest(response_text);
  event.fields.response_text = std::move(response_text);
  return event;
}

// A tool_call with its arguments (minified JSON) and result text, keyed as the codec keys it.
inline Event ToolCallWithResult(std::string tool_name, std::string arguments_json,
                                std::string result_text, std::string status = "ok") {
  Event event = ToolCall(std::move(tool_name), std::move(status));
  event.fields.tool_call_hash = ToolCallHash(*event.fields.tool_name, arguments_json);
  event.fields.tool_result_digest =
      ToolResultDigest(*event.fields.status, result_text, std::nullopt, std::nullopt, std::nullopt);
  event.fields.result_text = std::move(result_text);
  return event;
}

// A completed execution of project proj-dev that started at kStartMs, whose events get sequence
// 1..n, arrival 1..n and timestamps 100 ms apart, as an SDK would send them.
inline ExecutionSnapshot MakeSnapshot(std::vector<Event> events = {},
                                      ExecutionStatus status = ExecutionStatus::kCompleted) {
  ExecutionSnapshot snapshot;
  snapshot.execution.project_id = kProject;
  snapshot.execution.execution_id = "exec-0123456789ab";
  snapshot.execution.status = std::move(status);
  snapshot.execution.started_at_ms = kStartMs;
  for (size_t i = 0; i < events.size(); ++i) {
    Event& event = events[i];
    event.execution_id = snapshot.execution.execution_id;
    event.event_id = "evt-" + std::to_string(i);
    event.sequence = static_cast<int64_t>(i) + 1;
    event.arrival = static_cast<int64_t>(i) + 1;
    event.timestamp_ms = kStartMs + 100 * (static_cast<int64_t>(i) + 1);
  }
  snapshot.events = std::move(events);
  snapshot.now_ms = kStartMs + 3'600'000;
  return snapshot;
}

// Gives `snapshot` a budget as an SDK declares one, with no limit yet: the caller sets the limits
// on the budget returned.
inline Budget& DeclareBudget(ExecutionSnapshot& snapshot) {
  snapshot.execution.budget = Budget{};
  return *snapshot.execution.budget;
}

// `n` copies of `event`.
inline std::vector<Event> Repeat(const Event& event, size_t n) {
  return std::vector<Event>(n, event);
}

// A policy with every detector switched off, for tests that isolate one detector.
inline Policy AllDisabled() {
  Policy policy;
  policy.model_drift.enabled = false;
  policy.crash.enabled = false;
  policy.time_budget.enabled = false;
  policy.step_count.enabled = false;
  policy.tool_failure.enabled = false;
  policy.validator_failure.enabled = false;
  policy.identical_call.enabled = false;
  policy.similar_call.enabled = false;
  policy.prompt_injection.enabled = false;
  policy.cost_velocity.enabled = false;
  policy.lexical_drift.enabled = false;
  policy.tool_loop.enabled = false;
  return policy;
}

// The `vigil` preset of a project that set its own limits: the absolute-limit detectors (off by
// default) switched on at their default thresholds.
inline Policy ProjectLimits() {
  Policy policy;
  policy.time_budget.enabled = true;
  policy.step_count.enabled = true;
  policy.cost_velocity.enabled = true;
  return policy;
}

}  // namespace vigil::test
