#include "detectors/detector_util.h"

namespace vigil {

std::optional<Finding> DetectValidatorFailure(const ExecutionSnapshot& snapshot,
                                              const Policy& policy) {
  if (!policy.validator_failure.enabled) return std::nullopt;
  for (const Event& event : snapshot.events) {
    if (event.type != EventType::kValidatorResult || !event.fields.passed_is_false) continue;
    // As for tool failures, the first failed validator decides even when it has no usable name.
    const std::optional<std::string>& name = event.fields.name;
    if (!name || name->empty()) return std::nullopt;
    return MakeFinding(snapshot, kValidatorFailure, *name);
  }
  return std::nullopt;
}

}  // namespace vigil
