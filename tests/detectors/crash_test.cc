#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

ExecutionSnapshot Ended(std::string status, std::string crash_signature) {
  ExecutionSnapshot snapshot = test::MakeSnapshot({}, ParseExecutionStatus(status).value());
  snapshot.execution.crash_signature = std::move(crash_signature);
  return snapshot;
}

TEST_CASE("DetectCrash fires on status crashed with the signature verbatim") {
  const auto finding = DetectCrash(Ended("crashed", "0123456789abcdef"), Policy{});
  REQUIRE(finding);
  CHECK(finding->detector == "crash");
  CHECK(finding->failure_class == "crashes");
  CHECK(finding->signature == "0123456789abcdef");
  CHECK(finding->group_id == "grp-4008a8d17d634f3d");  // docs/protocol.md#test-vectors
  CHECK(finding->priority == 2);
}

TEST_CASE("DetectCrash does not fire without a crash or on SDK halts") {
  struct Case {
    const char* status;
    const char* signature;
  };
  const Case cases[] = {
      {"crashed", ""},                    // nothing to group by
      {"completed", "0123456789abcdef"},  // a signature alone is not a crash
      {"halted", "halt:step_count"},      // an SDK halt is the budget working
      {"halted", "halt:wall_clock"},
      {"crashed", "halt:remote_signal"},  // halt signature under the wrong status
      {"started", "0123456789abcdef"},
      {"timeout", "0123456789abcdef"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.status);
    CAPTURE(c.signature);
    CHECK_FALSE(DetectCrash(Ended(c.status, c.signature), Policy{}));
  }
}

TEST_CASE("DetectCrash is off when the policy disables it") {
  Policy policy;
  policy.crash.enabled = false;
  CHECK_FALSE(DetectCrash(Ended("crashed", "0123456789abcdef"), policy));
}

}  // namespace
}  // namespace vigil
