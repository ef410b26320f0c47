#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::Checkpoint;
using test::LlmCall;
using test::MakeSnapshot;
using test::Repeat;

// `checkpoints` checkpoints, then `llm_calls` llm calls each with its own message.
std::vector<Event> CheckpointsThenCalls(size_t checkpoints, int llm_calls) {
  std::vector<Event> events = Repeat(Checkpoint(), checkpoints);
  for (int i = 0; i < llm_calls; ++i) events.push_back(LlmCall("gpt-4o", "q" + std::to_string(i)));
  return events;
}

TEST_CASE("DetectStepCount fires strictly above max_steps with the step bucket") {
  const std::vector<test::BucketCase<size_t>> events = {
      {0, nullptr},
      {49, nullptr},
      {50, nullptr},  // boundary: events must exceed the value
      {51, "step_count_50+"},
      {99, "step_count_50+"},
      {100, "step_count_100+"},
      {600, "step_count_500+"},
  };
  test::CheckBuckets(events, {"step_count", "loops", 4}, [](size_t n) {
    return DetectStepCount(MakeSnapshot(Repeat(Checkpoint(), n)), test::ProjectLimits());
  });
}

TEST_CASE("DetectStepCount under the mesedi preset gives the spec's bucket and group") {
  const Policy mesedi = PolicyPreset("mesedi");
  CHECK_FALSE(DetectStepCount(MakeSnapshot(Repeat(Checkpoint(), 10)), mesedi));
  const auto finding = DetectStepCount(MakeSnapshot(Repeat(Checkpoint(), 11)), mesedi);
  test::CheckSignature(finding, "step_count_10+");
  CHECK(finding->group_id == "grp-93398be41baec273");
}

TEST_CASE("DetectStepCount counts every stored event, whatever its type") {
  std::vector<Event> events = CheckpointsThenCalls(20, 20);
  for (int i = 0; i < 11; ++i) events.push_back(test::ToolCall("t", "ok"));
  const auto finding = DetectStepCount(MakeSnapshot(events), test::ProjectLimits());
  test::CheckSignature(finding, "step_count_50+");
}

TEST_CASE("A budget's max_steps replaces the policy threshold and enables the detector") {
  const Policy disabled = test::AllDisabled();
  ExecutionSnapshot snapshot = MakeSnapshot(Repeat(Checkpoint(), 12));
  CHECK_FALSE(DetectStepCount(snapshot, disabled));
  test::DeclareBudget(snapshot).max_steps = 12;
  CHECK_FALSE(DetectStepCount(snapshot, disabled));  // boundary
  snapshot.execution.budget->max_steps = 11;
  const auto finding = DetectStepCount(snapshot, disabled);
  test::CheckSignature(finding, "step_count_10+");
  // A looser budget than the policy wins as well.
  ExecutionSnapshot long_run = MakeSnapshot(Repeat(Checkpoint(), 80));
  test::DeclareBudget(long_run).max_steps = 100;
  CHECK_FALSE(DetectStepCount(long_run, test::ProjectLimits()));
}

TEST_CASE("A budget's max_llm_calls yields a step_count finding counted in llm calls") {
  ExecutionSnapshot snapshot = MakeSnapshot(CheckpointsThenCalls(5, 4));
  test::DeclareBudget(snapshot).max_llm_calls = 4;
  const Policy disabled = test::AllDisabled();
  CHECK_FALSE(DetectStepCount(snapshot, disabled));  // 4 calls is not above 4
  snapshot.execution.budget->max_llm_calls = 3;
  const auto finding = DetectStepCount(snapshot, disabled);
  REQUIRE(finding);
  CHECK(finding->detector == "step_count");
  CHECK(finding->signature == "step_count_1+");  // bucket of the 4 llm calls, not the 9 events
}

TEST_CASE("When both step limits are exceeded the event count decides the bucket") {
  ExecutionSnapshot snapshot = MakeSnapshot(CheckpointsThenCalls(60, 12));
  test::DeclareBudget(snapshot).max_llm_calls = 10;
  const auto finding = DetectStepCount(snapshot, test::ProjectLimits());
  test::CheckSignature(finding, "step_count_50+");
}

}  // namespace
}  // namespace vigil
