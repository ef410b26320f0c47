#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;

ExecutionSnapshot WithStoredCost(double cost_usd) {
  ExecutionSnapshot snapshot = MakeSnapshot({LlmCall("gpt-4o", "q")});
  snapshot.execution.estimated_cost_usd = cost_usd;
  return snapshot;
}

TEST_CASE("DetectCostVelocity fires at or above min_cost_usd with the cost bucket") {
  const std::vector<test::BucketCase<double>> costs_usd = {
      {0.0, nullptr},    {0.5, nullptr},
      {0.9999, nullptr}, {1.0, "cost_$1+"},  // boundary: the policy threshold is inclusive
      {3.2, "cost_$1+"}, {12.0, "cost_$10+"},
  };
  test::CheckBuckets(costs_usd, {"cost_velocity", "cost_velocity", 10}, [](double cost_usd) {
    return DetectCostVelocity(WithStoredCost(cost_usd), test::ProjectLimits());
  });
}

TEST_CASE("DetectCostVelocity computes cost from tokens when none is stored") {
  const Policy mesedi = PolicyPreset("mesedi");
  auto finding =
      DetectCostVelocity(MakeSnapshot({LlmCall("gpt-4o-mini", "q", 10000, 2000)}), mesedi);
  test::CheckSignature(finding, "cost_$0.001+");
  CHECK(finding->group_id == "grp-779a0b7742fadc54");  // docs/protocol.md#test-vectors
  finding = DetectCostVelocity(MakeSnapshot({LlmCall("claude-opus-4-6", "q", 1200, 800)}), mesedi);
  test::CheckSignature(finding, "cost_$0.01+");
}

TEST_CASE("DetectCostVelocity never fires on a free execution, even with a zero threshold") {
  Policy policy = test::ProjectLimits();
  policy.cost_velocity.min_cost_usd = 0;
  CHECK_FALSE(DetectCostVelocity(MakeSnapshot({LlmCall("llama-3", "q", 5000, 5000)}), policy));
  const auto finding = DetectCostVelocity(WithStoredCost(0.0001), policy);
  test::CheckSignature(finding, "cost_$0+");
}

TEST_CASE("A budget's max_cost_usd replaces the threshold, fires strictly above, and enables") {
  const Policy disabled = test::AllDisabled();
  ExecutionSnapshot snapshot = WithStoredCost(0.25);
  CHECK_FALSE(DetectCostVelocity(snapshot, disabled));
  test::DeclareBudget(snapshot).max_cost_usd = 0.25;
  CHECK_FALSE(DetectCostVelocity(snapshot, disabled));  // boundary: must exceed the budget
  snapshot.execution.budget->max_cost_usd = 0.2;
  const auto finding = DetectCostVelocity(snapshot, disabled);
  test::CheckSignature(finding, "cost_$0.10+");
  // A budget above the policy threshold keeps a 3-dollar run quiet.
  ExecutionSnapshot pricey = WithStoredCost(3.0);
  test::DeclareBudget(pricey).max_cost_usd = 5.0;
  CHECK_FALSE(DetectCostVelocity(pricey, test::ProjectLimits()));
}

}  // namespace
}  // namespace vigil
