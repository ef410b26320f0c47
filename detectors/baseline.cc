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

// The baseline the snapshot brings when `enabled` and it has enough executions to judge by, else
// nullptr.
const AgentBaseline* UsableBaseline(const ExecutionSnapshot& snapshot, const Policy& policy,
                                    bool enabled) {
  if (!enabled || snapshot.execution.name.empty() || !snapshot.baseline) return nullptr;
  if (snapshot.baseline->executions < policy.baseline.min_executions) return nullptr;
  return &*snapshot.baseline;
}

std::string FormatSteps(double steps) { return std::to_string(static_cast<int64_t>(steps)); }

std::string FormatDurationMs(double ms) { return FormatDuration(static_cast<int64_t>(ms)); }

// One measure of an execution against its agent's baseline of that measure.
struct Measure {
  std::string_view detector;  // kBaseline or kCostBaseline
  std::string_view name;      // "steps", "duration", "cost": in the signature and the detail
  std::string_view unit;      // appended to the execution's value in the detail (" steps")
  double value = 0;
  double p95 = 0;
  double floor = 0;
  std::string (*format)(double) = nullptr;
};

// A finding when the measure is strictly above max(multiple x p95, floor). Its detail says which
// baseline, how it was derived and by how much it was exceeded: "412 steps: over this agent's
// steps baseline of 300 (5 x p95 60, over 20 runs) by 112 (1.4x)".
std::optional<Finding> OverBaseline(const ExecutionSnapshot& snapshot, const Policy& policy,
                                    const AgentBaseline& baseline, const Measure& m) {
  const double limit = std::max(policy.baseline.multiple * m.p95, m.floor);
  if (m.value <= limit) return std::nullopt;
  char multiple[32];
  std::snprintf(multiple, sizeof(multiple), "%g", policy.baseline.multiple);
  char factor[32];
  std::snprintf(factor, sizeof(factor), "%.1fx", m.value / limit);
  const std::string times_p95 = std::string(multiple) + " x p95 " + m.format(m.p95);
  const std::string how = limit == m.floor ? "the floor; " + times_p95 + " is lower" : times_p95;
  // The name is part of the signature: one agent's runaways are one problem, another agent's
  // another.
  Finding finding = MakeFinding(snapshot, m.detector,
                                "baseline_" + std::string(m.name) + ":" + snapshot.execution.name);
  finding.detail = m.format(m.value) + std::string(m.unit) + ": over this agent's " +
                   std::string(m.name) + " baseline of " + m.format(limit) + " (" + how +
                   ", over " + std::to_string(baseline.executions) + " runs) by " +
                   m.format(m.value - limit) + " (" + factor + ")";
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

bool BaselineGoverns(const ExecutionSnapshot& snapshot, const Policy& policy,
                     std::string_view detector) {
  const bool enabled =
      detector == kCostBaseline ? policy.cost_baseline.enabled : policy.baseline.enabled;
  return UsableBaseline(snapshot, policy, enabled) != nullptr;
}

std::optional<Finding> DetectBaseline(const ExecutionSnapshot& snapshot, const Policy& policy) {
  const AgentBaseline* baseline = UsableBaseline(snapshot, policy, policy.baseline.enabled);
  if (baseline == nullptr) return std::nullopt;
  // Steps as the step-count detector counts them: every stored event.
  const Measure steps{kBaseline,
                      "steps",
                      " steps",
                      static_cast<double>(StoredEvents(snapshot)),
                      static_cast<double>(baseline->p95_steps),
                      static_cast<double>(policy.baseline.min_steps),
                      &FormatSteps};
  if (auto finding = OverBaseline(snapshot, policy, *baseline, steps)) return finding;
  const Measure duration{kBaseline,
                         "duration",
                         "",
                         static_cast<double>(ElapsedMs(snapshot.execution, snapshot.events)),
                         static_cast<double>(baseline->p95_duration_ms),
                         static_cast<double>(policy.baseline.min_duration_ms),
                         &FormatDurationMs};
  return OverBaseline(snapshot, policy, *baseline, duration);
}

std::optional<Finding> DetectCostBaseline(const ExecutionSnapshot& snapshot, const Policy& policy) {
  const AgentBaseline* baseline = UsableBaseline(snapshot, policy, policy.cost_baseline.enabled);
  if (baseline == nullptr) return std::nullopt;
  const Measure cost{kCostBaseline,
                     "cost",
                     "",
                     EffectiveCostUsd(snapshot.execution, snapshot.events),
                     baseline->p95_cost_usd,
                     policy.baseline.min_cost_usd,
                     &FormatCost};
  return OverBaseline(snapshot, policy, *baseline, cost);
}

}  // namespace vigil
