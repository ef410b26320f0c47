#include "detectors/detector_util.h"

namespace vigil {

std::optional<Finding> DetectToolFailure(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.tool_failure.enabled) return std::nullopt;
  for (const Event& event : snapshot.events) {
    if (event.type != EventType::kToolCall || event.fields.status != "failed") continue;
    // Only the first failure decides, as in Mesedi: a nameless first failure yields no finding
    // rather than promoting a later one, so the group does not depend on how far the run got.
    const std::optional<std::string>& tool_name = event.fields.tool_name;
    if (!tool_name || tool_name->empty()) return std::nullopt;
    return MakeFinding(snapshot, kToolFailure, *tool_name);
  }
  return std::nullopt;
}

}  // namespace vigil
