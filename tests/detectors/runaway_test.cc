#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "detectors/detectors.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

Finding Make(const std::string& detector, const std::string& failure_class,
             const std::string& signature, int priority) {
  Finding f;
  f.detector = detector;
  f.failure_class = failure_class;
  f.signature = signature;
  f.group_id = GroupId(test::kProject, failure_class, signature);
  f.priority = priority;
  return f;
}

// One runaway seen three ways, plus an unrelated tool failure, in priority order.
std::vector<Finding> Runaway() {
  return {Make("step_count", "loops", "step_count_50+", 4),
          Make("tool_failure", "tool_failures", "search_web", 5),
          Make("identical_call", "loops", "identical_call_ca3b6bcf", 7),
          Make("similar_call", "loops", "similar_call_f1ba2fb5", 8)};
}

TEST_CASE("RunawayRank orders the loops detectors from the most specific") {
  CHECK(*RunawayRank("identical_call") < *RunawayRank("tool_loop"));
  CHECK(*RunawayRank("tool_loop") < *RunawayRank("similar_call"));
  CHECK(*RunawayRank("similar_call") < *RunawayRank("step_count"));
  CHECK(*RunawayRank("step_count") < *RunawayRank("time_budget"));
  CHECK_FALSE(RunawayRank("cost_velocity"));
  CHECK_FALSE(RunawayRank("crash"));
}

TEST_CASE("One runaway's findings share the group of the most specific one") {
  std::vector<Finding> findings = Runaway();
  const std::vector<Finding> before = findings;
  const auto first = GroupRunaway(&findings, Policy{}, "");
  REQUIRE(first);
  CHECK(*first == 2);  // identical_call names the group and is stored first
  const std::string group = GroupId(test::kProject, "loops", "identical_call_ca3b6bcf");
  CHECK(findings[0].group_id == group);
  CHECK(findings[2].group_id == group);
  CHECK(findings[3].group_id == group);
  // Every finding is kept as it was found; only the group is shared.
  for (size_t i = 0; i < findings.size(); ++i) {
    CHECK(findings[i].detector == before[i].detector);
    CHECK(findings[i].signature == before[i].signature);
    CHECK(findings[i].priority == before[i].priority);
  }
  CHECK(findings[1].group_id == before[1].group_id);  // other classes keep their own groups
  CHECK(StoredRunawayGroup(findings) == group);
}

TEST_CASE("A runaway already in a group stays there, so it is reported once") {
  const std::string stored = GroupId(test::kProject, "loops", "step_count_10+");
  std::vector<Finding> findings = Runaway();
  CHECK_FALSE(GroupRunaway(&findings, Policy{}, stored));  // no new group to name
  CHECK(findings[0].group_id == stored);
  CHECK(findings[2].group_id == stored);
  CHECK(findings[3].group_id == stored);
}

TEST_CASE("GroupRunaway changes nothing without loops findings or under Mesedi's grouping") {
  std::vector<Finding> other = {Make("crash", "crashes", "0123456789abcdef", 2)};
  const std::vector<Finding> other_before = other;
  CHECK_FALSE(GroupRunaway(&other, Policy{}, ""));
  CHECK(other == other_before);
  CHECK(StoredRunawayGroup(other).empty());

  std::vector<Finding> findings = Runaway();
  const std::vector<Finding> before = findings;
  CHECK_FALSE(GroupRunaway(&findings, PolicyPreset("mesedi"), ""));
  CHECK(findings == before);  // a group per finding, as Mesedi assigns them
}

TEST_CASE("The pipeline's findings of one runaway end in one group under the vigil preset") {
  // A runaway under a step budget: 60 identical calls.
  ExecutionSnapshot snapshot =
      test::MakeSnapshot(test::Repeat(test::LlmCall("gpt-4o", "Fetch user 1234 now"), 60));
  test::DeclareBudget(snapshot).max_llm_calls = 50;
  std::vector<Finding> findings = RunDetectors(snapshot, Policy{}, Pass::kFinal);
  REQUIRE(findings.size() == 3);  // step_count, identical_call, similar_call: all kept
  GroupRunaway(&findings, Policy{}, "");
  for (const Finding& f : findings) {
    CAPTURE(f.detector);
    CHECK(f.group_id ==
          GroupId(test::kProject, "loops",
                  "identical_call_" + IdenticalCallKey("gpt-4o", "Fetch user 1234 now")));
  }
}

}  // namespace
}  // namespace vigil
