#include "detectors/buckets.h"
#include "detectors/detector_util.h"

namespace vigil {

std::optional<Finding> DetectCostVelocity(const ExecutionSnapshot& snapshot, const Policy& policy) {
  const std::optional<Budget>& budget = snapshot.execution.budget;
  const bool budgeted = budget && budget->max_cost_usd;
  // Without a budget, an agent with a baseline is judged by it (DetectCostBaseline) instead.
  if (!budgeted &&
      (!policy.cost_velocity.enabled || BaselineGoverns(snapshot, policy, kCostBaseline))) {
    return std::nullopt;
  }
  const double cost_usd = EffectiveCostUsd(snapshot.execution, snapshot.events);
  // The budget is the agent's own ceiling (strictly above it fires); the policy threshold is
  // inclusive and never fires on a free execution.
  const bool fires = budgeted ? cost_usd > *budget->max_cost_usd
                              : cost_usd > 0 && cost_usd >= policy.cost_velocity.min_cost_usd;
  if (!fires) return std::nullopt;
  return MakeFinding(snapshot, kCostVelocity, std::string(CostBucket(cost_usd)));
}

}  // namespace vigil
