#include <algorithm>

#include "detectors/buckets.h"
#include "detectors/detector_util.h"

namespace vigil {

std::optional<Finding> DetectStepCount(const ExecutionSnapshot& snapshot, const Policy& policy) {
  const std::optional<Budget>& budget = snapshot.execution.budget;
  // The budget's max_steps replaces the policy threshold and enables the detector.
  bool steps_enabled = policy.step_count.enabled;
  int64_t max_steps = policy.step_count.max_steps;
  if (budget && budget->max_steps) {
    steps_enabled = true;
    max_steps = *budget->max_steps;
  } else if (BaselineGoverns(snapshot, policy, kBaseline)) {
    steps_enabled = false;  // the agent's own baseline is its limit (DetectBaseline)
  }
  const int64_t events = StoredEvents(snapshot);
  std::optional<int64_t> measured;
  if (steps_enabled && events > max_steps) measured = events;
  // max_llm_calls is a separate limit on another measure (Vigil's SDKs count LLM calls as steps),
  // so it adds a condition rather than replacing the policy's event threshold.
  if (!measured && budget && budget->max_llm_calls) {
    const auto llm_calls = static_cast<int64_t>(
        std::count_if(snapshot.events.begin(), snapshot.events.end(),
                      [](const Event& event) { return event.type == EventType::kLlmCall; }));
    if (llm_calls > *budget->max_llm_calls) measured = llm_calls;
  }
  if (!measured) return std::nullopt;
  return MakeFinding(snapshot, kStepCount, std::string(StepBucket(*measured)));
}

}  // namespace vigil
