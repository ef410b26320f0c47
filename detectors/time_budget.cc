#include <algorithm>

#include "detectors/buckets.h"
#include "detectors/detector_util.h"

namespace vigil {

int64_t ElapsedMs(const Execution& execution, const std::vector<Event>& events) {
  if (execution.duration_ms > 0) return execution.duration_ms;
  if (execution.started_at_ms <= 0) return 0;  // nothing to measure from
  if (execution.ended_at_ms > 0) {
    return std::max<int64_t>(0, execution.ended_at_ms - execution.started_at_ms);
  }
  if (events.empty()) return 0;
  // A running execution: the latest event is the best evidence of how long it has been going,
  // and unlike the server clock it gives the same answer however late the pass runs.
  int64_t latest = events.front().timestamp_ms;
  for (const Event& event : events) latest = std::max(latest, event.timestamp_ms);
  return std::max<int64_t>(0, latest - execution.started_at_ms);
}

std::optional<Finding> DetectTimeBudget(const ExecutionSnapshot& snapshot, const Policy& policy) {
  bool enabled = policy.time_budget.enabled;
  int64_t max_duration_ms = policy.time_budget.max_duration_ms;
  // A budget declared by the SDK is the agent's own limit: it wins over the project policy and
  // applies even where the project switched the detector off.
  const std::optional<Budget>& budget = snapshot.execution.budget;
  if (budget && budget->max_duration_ms) {
    enabled = true;
    max_duration_ms = *budget->max_duration_ms;
  } else if (BaselineGoverns(snapshot, policy, kBaseline)) {
    enabled = false;  // the agent's own baseline is its limit (DetectBaseline)
  }
  if (!enabled) return std::nullopt;
  const int64_t elapsed_ms = ElapsedMs(snapshot.execution, snapshot.events);
  if (elapsed_ms <= max_duration_ms) return std::nullopt;
  return MakeFinding(snapshot, kTimeBudget, std::string(TimeBucket(elapsed_ms)));
}

}  // namespace vigil
