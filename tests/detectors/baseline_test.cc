#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;

// `n` samples with steps 1..n, durations 1..n minutes and costs $0.01..$n/100, newest first.
std::vector<BaselineSample> Ramp(int64_t n) {
  std::vector<BaselineSample> samples;
  for (int64_t i = n; i >= 1; --i) {
    samples.push_back({i, i, i * 60 * 1000, static_cast<double>(i) / 100});
  }
  return samples;
}

AgentBaseline Usable(int64_t p95_steps, int64_t p95_duration_ms, double p95_cost_usd,
                     int64_t executions = 20) {
  return {executions, p95_steps, p95_duration_ms, p95_cost_usd};
}

// A running execution of agent `name` with `steps` llm calls spread over `elapsed_ms`.
ExecutionSnapshot Running(const std::string& name, int64_t steps, int64_t elapsed_ms = 1000,
                          std::optional<AgentBaseline> baseline = std::nullopt) {
  std::vector<Event> events(static_cast<size_t>(steps), LlmCall("gpt-4o", "go"));
  ExecutionSnapshot snapshot = MakeSnapshot(std::move(events), ExecutionStatus::kStarted);
  snapshot.execution.name = name;
  if (!snapshot.events.empty()) {
    snapshot.events.back().timestamp_ms = snapshot.execution.started_at_ms + elapsed_ms;
  }
  snapshot.baseline = baseline;
  return snapshot;
}

TEST_CASE("ComputeBaseline takes nearest-rank 95th percentiles of each measure") {
  const AgentBaseline b = ComputeBaseline(Ramp(20));
  CHECK(b.executions == 20);
  CHECK(b.p95_steps == 19);  // ceil(0.95 * 20) = 19th smallest
  CHECK(b.p95_duration_ms == 19 * 60 * 1000);
  CHECK(b.p95_cost_usd == doctest::Approx(0.19));
  CHECK(ComputeBaseline(Ramp(1)).p95_steps == 1);
  CHECK(ComputeBaseline(Ramp(100)).p95_steps == 95);
}

TEST_CASE("ComputeBaseline leaves out the execution itself and keeps the newest window") {
  CHECK(ComputeBaseline(Ramp(20), 20).executions == 19);  // row 20 is the newest sample
  CHECK(ComputeBaseline(Ramp(20), 20).p95_steps == 19);
  CHECK(ComputeBaseline(Ramp(20), 0).executions == 20);
  const AgentBaseline windowed = ComputeBaseline(Ramp(kBaselineWindow + 50));
  CHECK(windowed.executions == kBaselineWindow);
  // The newest 200 samples are 51..250; their p95 is the 190th smallest.
  CHECK(windowed.p95_steps == 50 + 190);
  const AgentBaseline none = ComputeBaseline({});
  CHECK(none.executions == 0);
  CHECK(none.p95_steps == 0);
}

TEST_CASE("DetectBaseline fires past max(5 x p95, floor) and says by how much") {
  const Policy policy;
  // p95 of 60 steps: the limit is 5 x 60 = 300, above the 200-step floor.
  CHECK_FALSE(DetectBaseline(Running("agent", 300, 1000, Usable(60, 60000, 0.1)), policy));
  const auto finding = DetectBaseline(Running("agent", 412, 1000, Usable(60, 60000, 0.1)), policy);
  test::CheckFinding(finding, {"baseline", "loops", 13}, "baseline_steps:agent");
  CHECK(finding->detail ==
        "412 steps: over this agent's steps baseline of 300 (5 x p95 60, over 20 runs) by 112 "
        "(1.4x)");
}

TEST_CASE("DetectBaseline keeps small agents quiet below the floors") {
  const Policy policy;
  // p95 of 10 steps: 5 x p95 is 50, but the floor of 200 steps holds.
  CHECK_FALSE(DetectBaseline(Running("agent", 200, 1000, Usable(10, 1000, 0.01)), policy));
  const auto finding = DetectBaseline(Running("agent", 201, 1000, Usable(10, 1000, 0.01)), policy);
  REQUIRE(finding);
  CHECK(finding->detail ==
        "201 steps: over this agent's steps baseline of 200 (the floor; 5 x p95 10 is lower, over "
        "20 runs) by 1 (1.0x)");
}

TEST_CASE("DetectBaseline judges elapsed time against the duration baseline") {
  const Policy policy;
  const int64_t p95_ms = 10 * 60 * 1000;  // 10 min: the limit is 50 min
  CHECK_FALSE(DetectBaseline(Running("agent", 3, 50 * 60 * 1000, Usable(3, p95_ms, 0)), policy));
  const auto finding =
      DetectBaseline(Running("agent", 3, 75 * 60 * 1000, Usable(3, p95_ms, 0)), policy);
  test::CheckSignature(finding, "baseline_duration:agent");
  CHECK(finding->detail ==
        "75 min: over this agent's duration baseline of 50 min (5 x p95 10 min, over 20 runs) by "
        "25 min (1.5x)");
}

TEST_CASE("DetectCostBaseline fires past max(5 x p95 cost, $5)") {
  const Policy policy;
  ExecutionSnapshot cheap = Running("agent", 2, 1000, Usable(2, 1000, 0.5));
  cheap.execution.estimated_cost_usd = 5.0;  // the floor: 5 x $0.50 = $2.50 is lower
  CHECK_FALSE(DetectCostBaseline(cheap, policy));
  ExecutionSnapshot costly = cheap;
  costly.execution.estimated_cost_usd = 7.5;
  const auto finding = DetectCostBaseline(costly, policy);
  test::CheckFinding(finding, {"cost_baseline", "cost_velocity", 14}, "baseline_cost:agent");
  CHECK(finding->detail ==
        "$7.50: over this agent's cost baseline of $5.00 (the floor; 5 x p95 $0.50 is lower, "
        "over 20 runs) by $2.50 (1.5x)");
}

TEST_CASE("Baselines need a name and min_executions completed runs, and are off under mesedi") {
  const Policy policy;
  CHECK_FALSE(DetectBaseline(Running("", 5000, 1000, Usable(10, 1000, 0)), policy));
  CHECK_FALSE(DetectBaseline(Running("agent", 5000, 1000, std::nullopt), policy));
  CHECK_FALSE(DetectBaseline(Running("agent", 5000, 1000, Usable(10, 1000, 0, 19)), policy));
  CHECK(DetectBaseline(Running("agent", 5000, 1000, Usable(10, 1000, 0, 20)), policy));
  CHECK_FALSE(
      DetectBaseline(Running("agent", 5000, 1000, Usable(10, 1000, 0)), PolicyPreset("mesedi")));
  Execution named;
  named.name = "agent";
  CHECK(NeedsBaseline(policy, named));
  CHECK_FALSE(NeedsBaseline(policy, Execution{}));
  CHECK_FALSE(NeedsBaseline(PolicyPreset("mesedi"), named));
}

TEST_CASE("With a usable baseline the policy's absolute runaway limits give way to it") {
  Policy policy;
  policy.step_count.enabled = true;
  policy.step_count.max_steps = 50;
  policy.time_budget.enabled = true;
  policy.time_budget.max_duration_ms = 60 * 1000;
  policy.cost_velocity.enabled = true;
  policy.cost_velocity.min_cost_usd = 1.0;
  ExecutionSnapshot young = Running("agent", 120, 5 * 60 * 1000, Usable(100, 600000, 2, 19));
  young.execution.estimated_cost_usd = 3;
  // Without enough history the absolute limits apply as before.
  CHECK(DetectStepCount(young, policy));
  CHECK(DetectTimeBudget(young, policy));
  CHECK(DetectCostVelocity(young, policy));
  ExecutionSnapshot known = young;
  known.baseline->executions = 20;
  CHECK_FALSE(DetectStepCount(known, policy));
  CHECK_FALSE(DetectTimeBudget(known, policy));
  CHECK_FALSE(DetectCostVelocity(known, policy));
  CHECK_FALSE(DetectBaseline(known, policy));  // ordinary work for this agent
  // A budget the SDK declared is the agent's own limit and still applies.
  Budget budget;
  budget.max_steps = 100;
  known.execution.budget = budget;
  CHECK(DetectStepCount(known, policy));
}

}  // namespace
}  // namespace vigil
