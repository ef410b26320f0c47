#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::kStartMs;

ExecutionSnapshot WithDuration(int64_t duration_ms) {
  ExecutionSnapshot snapshot = test::MakeSnapshot({test::Checkpoint()});
  snapshot.execution.duration_ms = duration_ms;
  return snapshot;
}

TEST_CASE("ElapsedMs prefers duration, then end minus start, then the latest event") {
  Execution execution;
  execution.started_at_ms = kStartMs;
  std::vector<Event> events = {test::Checkpoint(), test::Checkpoint()};
  events[0].timestamp_ms = kStartMs + 7000;
  events[1].timestamp_ms = kStartMs + 4000;  // out of order: the latest timestamp wins
  CHECK(ElapsedMs(execution, events) == 7000);
  execution.ended_at_ms = kStartMs + 9000;
  CHECK(ElapsedMs(execution, events) == 9000);
  execution.duration_ms = 1234;
  CHECK(ElapsedMs(execution, events) == 1234);
}

TEST_CASE("ElapsedMs is never negative and 0 when nothing is known") {
  Execution execution;
  execution.started_at_ms = kStartMs;
  CHECK(ElapsedMs(execution, {}) == 0);
  execution.ended_at_ms = kStartMs - 5000;  // clock skew between client and server
  CHECK(ElapsedMs(execution, {}) == 0);
  execution.ended_at_ms = 0;
  std::vector<Event> early = {test::Checkpoint()};
  early[0].timestamp_ms = kStartMs - 1;
  CHECK(ElapsedMs(execution, early) == 0);
}

TEST_CASE("DetectTimeBudget fires strictly above the threshold with the time bucket") {
  const std::vector<test::BucketCase<int64_t>> durations_ms = {
      {59999, nullptr},
      {60000, nullptr},  // boundary: elapsed must exceed the value
      {60001, "time_budget_60s+"},
      {600000, "time_budget_10m+"},
      {7200000, "time_budget_1h+"},
  };
  test::CheckBuckets(durations_ms, {"time_budget", "loops", 3}, [](int64_t duration_ms) {
    return DetectTimeBudget(WithDuration(duration_ms), test::ProjectLimits());
  });
}

TEST_CASE("DetectTimeBudget under the mesedi preset gives the spec's bucket and group") {
  const auto finding = DetectTimeBudget(WithDuration(1001), PolicyPreset("mesedi"));
  test::CheckSignature(finding, "time_budget_1s+");
  CHECK(finding->group_id == "grp-4336829a57a749cc");
  CHECK_FALSE(DetectTimeBudget(WithDuration(1000), PolicyPreset("mesedi")));
}

TEST_CASE("DetectTimeBudget sees a running execution through its latest event") {
  std::vector<Event> events = {test::Checkpoint()};
  ExecutionSnapshot snapshot = test::MakeSnapshot(events, ExecutionStatus::kStarted);
  snapshot.events[0].timestamp_ms = kStartMs + 61000;
  const auto finding = DetectTimeBudget(snapshot, test::ProjectLimits());
  test::CheckSignature(finding, "time_budget_60s+");
}

TEST_CASE("A budget's max_duration_ms replaces the policy threshold and enables the detector") {
  const Policy disabled = test::AllDisabled();
  ExecutionSnapshot snapshot = WithDuration(5000);
  CHECK_FALSE(DetectTimeBudget(snapshot, disabled));
  test::DeclareBudget(snapshot).max_duration_ms = 4999;
  const auto finding = DetectTimeBudget(snapshot, disabled);
  test::CheckSignature(finding, "time_budget_1s+");
  // A looser budget wins over a stricter policy too.
  snapshot.execution.budget->max_duration_ms = 100000;
  CHECK(DetectTimeBudget(WithDuration(70000), test::ProjectLimits()));
  ExecutionSnapshot lenient = WithDuration(70000);
  lenient.execution.budget = snapshot.execution.budget;
  CHECK_FALSE(DetectTimeBudget(lenient, test::ProjectLimits()));
  // A budget without this limit leaves the policy in charge.
  test::DeclareBudget(lenient).max_steps = 3;
  CHECK(DetectTimeBudget(lenient, test::ProjectLimits()));
}

}  // namespace
}  // namespace vigil
