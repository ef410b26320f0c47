#include "detectors/buckets.h"

#include <array>
#include <cstddef>

namespace vigil {
namespace {

template <typename T>
struct Edge {
  T value;
  std::string_view label;
};

constexpr std::array<Edge<int64_t>, 6> kTimeEdges = {{
    {0, "time_budget_0s+"},
    {1000, "time_budget_1s+"},
    {10000, "time_budget_10s+"},
    {60000, "time_budget_60s+"},
    {600000, "time_budget_10m+"},
    {3600000, "time_budget_1h+"},
}};

constexpr std::array<Edge<int64_t>, 6> kStepEdges = {{
    {1, "step_count_1+"},
    {10, "step_count_10+"},
    {50, "step_count_50+"},
    {100, "step_count_100+"},
    {500, "step_count_500+"},
    {5000, "step_count_5000+"},
}};

constexpr std::array<Edge<double>, 6> kCostEdges = {{
    {0, "cost_$0+"},
    {0.001, "cost_$0.001+"},
    {0.01, "cost_$0.01+"},
    {0.10, "cost_$0.10+"},
    {1, "cost_$1+"},
    {10, "cost_$10+"},
}};

constexpr std::array<Edge<double>, 3> kLexicalEdges = {{
    {0.45, "lexical_drift_0.45+"},
    {0.55, "lexical_drift_0.55+"},
    {0.70, "lexical_drift_0.70+"},
}};

template <typename T, size_t N>
std::string_view Label(const std::array<Edge<T>, N>& edges, T value) {
  std::string_view label = edges[0].label;
  for (const Edge<T>& edge : edges) {
    if (edge.value <= value) label = edge.label;
  }
  return label;
}

template <typename T, size_t N>
std::optional<int> Rank(const std::array<Edge<T>, N>& edges, std::string_view label) {
  for (size_t i = 0; i < N; ++i) {
    if (edges[i].label == label) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view TimeBucket(int64_t elapsed_ms) { return Label(kTimeEdges, elapsed_ms); }
std::string_view StepBucket(int64_t steps) { return Label(kStepEdges, steps); }
std::string_view CostBucket(double cost_usd) { return Label(kCostEdges, cost_usd); }
std::string_view LexicalBucket(double distance) { return Label(kLexicalEdges, distance); }

std::optional<int> BucketRank(std::string_view label) {
  if (auto rank = Rank(kTimeEdges, label)) return rank;
  if (auto rank = Rank(kStepEdges, label)) return rank;
  if (auto rank = Rank(kCostEdges, label)) return rank;
  return Rank(kLexicalEdges, label);
}

}  // namespace vigil
