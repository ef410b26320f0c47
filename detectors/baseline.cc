// Baselines per agent name: an execution is judged against what its own agent usually does, not
// against one absolute limit for every agent (docs/detection.md, "Baselines").
#include <algorithm>
#include <cstdio>

#include "detectors/detector_util.h"

namespace vigil {
namespace {

// The nearest-rank 95th percentile: the ceil(0.95 n)-th smallest of n values. REQUIRES: non-empty.
template <typename T>
T Percentile95(std::vector<T> values) {
  const size_t rank = (values.size() * 95 + 99) / 100;  // ceil(0.95 n), >= 1 for n >= 1
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                   values.end());
  return values[rank - 1];
}

std::string FormatDuration(int64_t ms) {
  char buf[32];
  if (ms < 60 * 1000) {
    std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000);
  } else if (ms < 120 * 60 * 1000) {
    std::snprintf(buf, sizeof(buf), "%lld min", static_cast<long long>(ms / 60000));
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f h", static_cast<double>(ms) / 3600000);
  }
  return buf;
}

std::string FormatCost(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), usd >= 0.01 || usd == 0 ? "$%.2f" : "$%.4f", usd);
  return buf;
}

// The baseline the snapshot brings when it has enough executions to judge by, else nullptr.
const AgentBaseline* UsableBaseline(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (snapshot.execution.name.empty() || !snapshot.baseline) return nullptr;
  if (snapshot.baseline->executions < policy.baseline.min_executions) return nullptr;
  return &*snapshot.baseline;
}

// Above both bounds, strictly: `multiple` times the name's p95 and the measure's floor.
template <typename T>
bool Exceeds(T value, T p95, T floor, double multiple) {
  return value > floor && static_cast<double>(value) > multiple * static_cast<double>(p95);
}

Finding BaselineFinding(const ExecutionSnapshot& snapshot, std::string_view detector,
                        std::string_view measure, std::string detail) {
  // The name is part of the signature: one agent's runaways are one problem, another agent's
  // another.
  Finding finding = MakeFinding(snapshot, detector,
                                "baseline_" + std::string(measure) + ":" + snapshot.execution.name);
  finding.detail = std::move(detail);
  return finding;
}

}  // namespace

AgentBaseline ComputeBaseline(const std::vector<BaselineSample>& samples, int64_t exclude_row) {
  std::vector<int64_t> steps, durations;
  std::vector<double> costs;
  for (const BaselineSample& sample : samples) {
    if (static_cast<int64_t>(steps.size()) == kBaselineWindow) break;
    if (exclude_row != 0 && sample.row_id == exclude_row) continue;
    steps.push_back(sample.steps);
    durations.push_back(sample.duration_ms);
    costs.push_back(sample.cost_usd);
  }
  AgentBaseline baseline;
  baseline.executions = static_cast<int64_t>(steps.size());
  if (steps.empty()) return baseline;
  baseline.p95_steps = Percentile95(std::move(steps));
  baseline.p95_duration_ms = Percentile95(std::move(durations));
  baseline.p95_cost_usd = Percentile95(std::move(costs));
  return baseline;
}

bool NeedsBaseline(const Policy& policy, const Execution& execution) {
  return (policy.baseline.enabled || policy.cost_baseline.enabled) && !execution.name.empty();
}

std::optional<Finding> DetectBaseline(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.baseline.enabled) return std::nullopt;
  const AgentBaseline* baseline = UsableBaseline(snapshot, policy);
  if (baseline == nullptr) return std::nullopt;
  const double multiple = policy.baseline.multiple;
  // Steps as the step-count detector counts them: every stored event.
  const auto steps = static_cast<int64_t>(snapshot.events.size());
  if (Exceeds(steps, baseline->p95_steps, policy.baseline.min_steps, multiple)) {
    return BaselineFinding(snapshot, kBaseline, "steps",
                           std::to_string(steps) + " steps; this agent's p95 is " +
                               std::to_string(baseline->p95_steps));
  }
  const int64_t elapsed_ms = ElapsedMs(snapshot.execution, snapshot.events);
  if (Exceeds(elapsed_ms, baseline->p95_duration_ms, policy.baseline.min_duration_ms, multiple)) {
    return BaselineFinding(snapshot, kBaseline, "duration",
                           FormatDuration(elapsed_ms) + "; this agent's p95 is " +
                               FormatDuration(baseline->p95_duration_ms));
  }
  return std::nullopt;
}

std::optional<Finding> DetectCostBaseline(const ExecutionSnapshot& snapshot,
                                          const Policy& policy) {
  if (!policy.cost_baseline.enabled) return std::nullopt;
  const AgentBaseline* baseline = UsableBaseline(snapshot, policy);
  if (baseline == nullptr) return std::nullopt;
  const double cost_usd = EffectiveCostUsd(snapshot.execution, snapshot.events);
  if (!Exceeds(cost_usd, baseline->p95_cost_usd, policy.baseline.min_cost_usd,
               policy.baseline.multiple)) {
    return std::nullopt;
  }
  return BaselineFinding(
      snapshot, kCostBaseline, "cost",
      FormatCost(cost_usd) + "; this agent's p95 is " + FormatCost(baseline->p95_cost_usd));
}

}  // namespace vigil
