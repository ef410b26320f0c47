#include "detectors/detectors.h"

namespace vigil {

bool AutoHaltApplies(const Finding& finding, const Policy& policy,
                     const std::optional<Budget>& budget) {
  bool policy_flag;
  if (finding.failure_class == kClassLoops) {
    policy_flag = policy.auto_halt.loops;
  } else if (finding.failure_class == kClassCostVelocity) {
    policy_flag = policy.auto_halt.cost_velocity;
  } else {
    return false;  // only runaways are worth stopping an agent for
  }
  if (budget && budget->auto_halt) return *budget->auto_halt;
  return policy_flag;
}

std::string AutoHaltReason(const Finding& finding) {
  return "auto_halt: " + finding.failure_class + " " + finding.signature;
}

}  // namespace vigil
