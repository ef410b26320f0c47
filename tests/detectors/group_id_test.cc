#include <doctest/doctest.h>

#include <string>

#include "detectors/detectors.h"
#include "domain/hash.h"

namespace vigil {
namespace {

TEST_CASE("GroupId matches the spec's test vectors") {
  struct Case {
    const char* failure_class;
    const char* signature;
    const char* group_id;
  };
  const Case cases[] = {
      {"loops", "step_count_10+", "grp-93398be41baec273"},
      {"loops", "time_budget_1s+", "grp-4336829a57a749cc"},
      {"crashes", "0123456789abcdef", "grp-4008a8d17d634f3d"},
      {"prompt_injection", "ignore_instructions", "grp-c545162bfd16cf25"},
      {"cost_velocity", "cost_$0.001+", "grp-779a0b7742fadc54"},
      {"drift", "new_model:gpt-4o", "grp-19ca47be121ef37f"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.signature);
    CHECK(GroupId("proj-dev", c.failure_class, c.signature) == c.group_id);
  }
}

TEST_CASE("GroupId separates projects, classes and signatures") {
  const std::string base = GroupId("proj-a", "loops", "step_count_10+");
  CHECK(base.size() == 4 + 16);
  CHECK(base.rfind("grp-", 0) == 0);
  CHECK(GroupId("proj-b", "loops", "step_count_10+") != base);
  CHECK(GroupId("proj-a", "crashes", "step_count_10+") != base);
  CHECK(GroupId("proj-a", "loops", "step_count_50+") != base);
  CHECK(GroupId("proj-a", "loops", "step_count_10+") == base);
}

TEST_CASE("Sha256Hex matches the spec's dev key hashes") {
  CHECK(Sha256Hex("vigil_sk_dev_local_only") ==
        "912a244f511ce728c8bcae5e5d8351a8ffdce4819dc167323943e6400a8fe6e2");
  CHECK(Sha256Hex("mesedi_sk_dev_local_only") ==
        "63aee0bafbf5a68577021746b028842f70d922c2809776e1a1de0ecf6fc7fb33");
}

}  // namespace
}  // namespace vigil
