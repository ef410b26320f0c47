#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::MakeSnapshot;
using test::ToolCall;

TEST_CASE("DetectToolFailure fires on the first failed tool call, named by the tool") {
  const auto finding =
      DetectToolFailure(MakeSnapshot({ToolCall("search", "ok"), ToolCall("fetch_url", "failed"),
                                      ToolCall("send_email", "failed")}),
                        Policy{});
  test::CheckFinding(finding, {"tool_failure", "tool_failures", 5}, "fetch_url");
}

TEST_CASE("DetectToolFailure does not fire on anything but status exactly failed") {
  Event no_status = test::MakeEvent("tool_call");
  no_status.fields.tool_name = "search";
  Event llm_failed = test::LlmCall("gpt-4o", "q");
  llm_failed.fields.status = "failed";
  const std::vector<std::vector<Event>> cases = {
      {ToolCall("search", "ok")},
      {ToolCall("search", "FAILED")},
      {ToolCall("search", "failed ")},
      {ToolCall("search", "error")},
      {no_status},
      {llm_failed},  // failed llm calls are not tool failures
      {},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    CHECK_FALSE(DetectToolFailure(MakeSnapshot(cases[i]), Policy{}));
  }
}

TEST_CASE("DetectToolFailure gives up when the first failure has no tool name") {
  Event nameless = test::MakeEvent("tool_call");
  nameless.fields.status = "failed";
  CHECK_FALSE(
      DetectToolFailure(MakeSnapshot({nameless, ToolCall("fetch_url", "failed")}), Policy{}));
  CHECK_FALSE(
      DetectToolFailure(MakeSnapshot({ToolCall("", "failed"), ToolCall("x", "failed")}), Policy{}));
}

TEST_CASE("DetectToolFailure is off when the policy disables it") {
  Policy policy;
  policy.tool_failure.enabled = false;
  CHECK_FALSE(DetectToolFailure(MakeSnapshot({ToolCall("fetch_url", "failed")}), policy));
}

}  // namespace
}  // namespace vigil
