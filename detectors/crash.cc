#include "detectors/detector_util.h"

namespace vigil {

std::optional<Finding> DetectCrash(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.crash.enabled) return std::nullopt;
  const Execution& execution = snapshot.execution;
  if (execution.status != ExecutionStatus::kCrashed || execution.crash_signature.empty())
    return std::nullopt;
  // An SDK halt is the budget working as intended, not a crash; SDKs report it as status `halted`
  // with `halt:<trigger>`, and the prefix is excluded too in case a client pairs it with `crashed`.
  if (execution.crash_signature.rfind("halt:", 0) == 0) return std::nullopt;
  return MakeFinding(snapshot, kCrash, execution.crash_signature);
}

}  // namespace vigil
