#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::MakeSnapshot;
using test::ValidatorResult;

TEST_CASE("DetectValidatorFailure fires on the first failed validator, named by the validator") {
  const auto finding = DetectValidatorFailure(
      MakeSnapshot({ValidatorResult("json_schema", true), ValidatorResult("no_pii", false),
                    ValidatorResult("length", false)}),
      Policy{});
  test::CheckFinding(finding, {"validator_failure", "validator_failures", 6}, "no_pii");
}

TEST_CASE("DetectValidatorFailure does not fire on passing validators or other events") {
  Event checkpoint = test::Checkpoint();
  checkpoint.fields.passed_is_false = true;
  checkpoint.fields.name = "not_a_validator";
  CHECK_FALSE(
      DetectValidatorFailure(MakeSnapshot({ValidatorResult("a", true), checkpoint}), Policy{}));
  CHECK_FALSE(DetectValidatorFailure(MakeSnapshot({}), Policy{}));
}

TEST_CASE("DetectValidatorFailure gives up when the first failure has no name") {
  Event nameless = test::MakeEvent("validator_result");
  nameless.fields.passed_is_false = true;
  CHECK_FALSE(
      DetectValidatorFailure(MakeSnapshot({nameless, ValidatorResult("b", false)}), Policy{}));
  CHECK_FALSE(DetectValidatorFailure(
      MakeSnapshot({ValidatorResult("", false), ValidatorResult("b", false)}), Policy{}));
}

TEST_CASE("DetectValidatorFailure is off when the policy disables it") {
  Policy policy;
  policy.validator_failure.enabled = false;
  CHECK_FALSE(DetectValidatorFailure(MakeSnapshot({ValidatorResult("a", false)}), policy));
}

}  // namespace
}  // namespace vigil
