// Signature buckets (docs/detection.md#buckets): a measured value becomes the label of the largest
// edge <= value.
//
// Bucketing keeps one group per order of magnitude instead of one group per exact value, so two
// runaways that stopped at 61 s and 75 s land in the same group. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil {

// Each returns a static label. A value below the family's first edge gets the first label; that
// cannot happen for a finding under a validated policy (thresholds are >= the first edge's value).
std::string_view TimeBucket(int64_t elapsed_ms);  // time_budget_0s+ ... time_budget_1h+
std::string_view StepBucket(int64_t steps);       // step_count_1+ ... step_count_5000+
std::string_view CostBucket(double cost_usd);     // cost_$0+ ... cost_$10+
std::string_view LexicalBucket(double distance);  // lexical_drift_0.45+ ... lexical_drift_0.70+

// Position of `label` within its family (0 = first edge), or std::nullopt when `label` is not a
// bucket label. Lets a caller tell whether a live finding raised its bucket
// (docs/detection.md#live-and-final-passes).
std::optional<int> BucketRank(std::string_view label);

}  // namespace vigil
