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

// The limit for one measure: `multiple` times the name's p95, but never below the floor.
double BaselineLimit(double p95, double floor, double multiple) {
  return std::max(multiple * p95, floor);
}

// One measure over its baseline, each number already formatted in the measure's unit.
struct Exceeded {
  std::string_view measure;  // "steps", "duration", "cost"
  std::string value, limit, p95, excess;
  double ratio = 0;      // value / limit
  bool floored = false;  // the limit is the floor, not multiple x p95
};

// "412 steps: over this agent's steps baseline of 200 (the floor; 5 x p95 38 is lower, over 20
// runs) by 212 (2.1x)": which baseline, how it was derived and by how much it was exceeded.
std::string ExceededDetail(const Exceeded& x, const Policy& policy, const AgentBaseline& baseline) {
  char multiple[32];
  std::snprintf(multiple, sizeof(multiple), "%g", policy.baseline.multiple);
  char factor[32];
  std::snprintf(factor, sizeof(factor), "%.1fx", x.ratio);
  const std::string times_p95 = std::string(multiple) + " x p95 " + x.p95;
  const std::string how = x.floored ? "the floor; " + times_p95 + " is lower" : times_p95;
  return x.value + ": over this agent's " + std::string(x.measure) + " baseline of " + x.limit +
         " (" + how + ", over " + std::to_string(baseline.executions) + " runs) by " + x.excess +
         " (" + factor + ")";
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

std::optional<Finding> StepsOverBaseline(const ExecutionSnapshot& snapshot, const Policy& policy,
                                         const AgentBaseline& baseline) {
  // Steps as the step-count detector counts them: every stored event.
  const auto steps = static_cast<int64_t>(snapshot.events.size());
  const double floor = static_cast<double>(policy.baseline.min_steps);
  const double limit =
      BaselineLimit(static_cast<double>(baseline.p95_steps), floor, policy.baseline.multiple);
  if (static_cast<double>(steps) <= limit) return std::nullopt;
  const auto whole_limit = static_cast<int64_t>(limit);
  return BaselineFinding(
      snapshot, kBaseline, "steps",
      ExceededDetail({"steps", std::to_string(steps) + " steps", std::to_string(whole_limit),
                      std::to_string(baseline.p95_steps), std::to_string(steps - whole_limit),
                      static_cast<double>(steps) / limit, limit == floor},
                     policy, baseline));
}

std::optional<Finding> DurationOverBaseline(const ExecutionSnapshot& snapshot, const Policy& policy,
                                            const AgentBaseline& baseline) {
  const int64_t elapsed_ms = ElapsedMs(snapshot.execution, snapshot.events);
  const double floor = static_cast<double>(policy.baseline.min_duration_ms);
  const double limit =
      BaselineLimit(static_cast<double>(baseline.p95_duration_ms), floor, policy.baseline.multiple);
  if (static_cast<double>(elapsed_ms) <= limit) return std::nullopt;
  const auto limit_ms = static_cast<int64_t>(limit);
  return BaselineFinding(
      snapshot, kBaseline, "duration",
      ExceededDetail(
          {"duration", FormatDuration(elapsed_ms), FormatDuration(limit_ms),
           FormatDuration(baseline.p95_duration_ms), FormatDuration(elapsed_ms - limit_ms),
           static_cast<double>(elapsed_ms) / limit, limit == floor},
          policy, baseline));
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
  if (auto steps = StepsOverBaseline(snapshot, policy, *baseline)) return steps;
  return DurationOverBaseline(snapshot, policy, *baseline);
}

std::optional<Finding> DetectCostBaseline(const ExecutionSnapshot& snapshot, const Policy& policy) {
  const AgentBaseline* baseline = UsableBaseline(snapshot, policy, policy.cost_baseline.enabled);
  if (baseline == nullptr) return std::nullopt;
  const double cost_usd = EffectiveCostUsd(snapshot.execution, snapshot.events);
  const double limit =
      BaselineLimit(baseline->p95_cost_usd, policy.baseline.min_cost_usd, policy.baseline.multiple);
  if (cost_usd <= limit) return std::nullopt;
  return BaselineFinding(
      snapshot, kCostBaseline, "cost",
      ExceededDetail(
          {"cost", FormatCost(cost_usd), FormatCost(limit), FormatCost(baseline->p95_cost_usd),
           FormatCost(cost_usd - limit), cost_usd / limit, limit == policy.baseline.min_cost_usd},
          policy, *baseline));
}

}  // namespace vigil
