#include <doctest/doctest.h>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "detectors/detectors.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;
using test::ToolCallWithResult;

std::string Signature(const std::string& tool, const std::string& arguments) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, ToolCallHash(tool, arguments));
  return std::string("tool_loop_") + hex;
}

// An agent that keeps running the same search between model calls whose context grows each time.
std::vector<Event> SearchLoop(size_t repeats) {
  std::vector<Event> events;
  for (size_t i = 0; i < repeats; ++i) {
    events.push_back(test::WithContext(LlmCall("gpt-4o", "Find the release date"), i));
    events.push_back(ToolCallWithResult("web_search", R"({"q":"release date"})", "No results."));
  }
  return events;
}

TEST_CASE("The same tool, arguments and result min_repeats times is a tool_loop finding") {
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(SearchLoop(2)), Policy{}));
  const auto finding = DetectToolLoop(MakeSnapshot(SearchLoop(3)), Policy{});
  test::CheckFinding(finding, {"tool_loop", "loops", 12},
                     Signature("web_search", R"({"q":"release date"})"));
  // The model calls between are all different requests: identical-call does not see this loop.
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(SearchLoop(3)), Policy{}));
}

TEST_CASE("A different argument or a different result is progress, not a tool loop") {
  std::vector<Event> paging;
  for (int page = 0; page < 4; ++page) {
    paging.push_back(
        ToolCallWithResult("list", "{\"page\":" + std::to_string(page) + "}", "3 rows"));
  }
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(paging), Policy{}));
  std::vector<Event> polling;
  for (int i = 0; i < 4; ++i) {
    polling.push_back(ToolCallWithResult("status", "{}", "step " + std::to_string(i) + " of 4"));
  }
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(polling), Policy{}));
}

TEST_CASE("The same failing test run between different edits is progress, not a tool loop") {
  const Event test_run = ToolCallWithResult("bash", R"({"cmd":"pytest -q"})", "1 failed");
  std::vector<Event> events;
  for (int i = 0; i < 4; ++i) {
    events.push_back(ToolCallWithResult(
        "edit", "{\"path\":\"app.py\",\"line\":" + std::to_string(10 + i) + "}", "ok"));
    events.push_back(test_run);
  }
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(events), Policy{}));
  // The same edit each time is no progress: then the edit and the test run both loop, and the test
  // run, whose streak began first, is the loop reported.
  std::vector<Event> stuck;
  for (int i = 0; i < 3; ++i) {
    stuck.push_back(ToolCallWithResult("edit", R"({"path":"app.py","line":10})", "ok"));
    stuck.push_back(test_run);
  }
  const auto finding = DetectToolLoop(MakeSnapshot(stuck), Policy{});
  REQUIRE(finding);
  CHECK(finding->signature == Signature("bash", R"({"cmd":"pytest -q"})"));
}

TEST_CASE("Failing with the same error counts; a call that reports no result does not") {
  const Event failing = ToolCallWithResult("submit", R"({"flag":"x"})", "Wrong flag!", "failed");
  CHECK(DetectToolLoop(MakeSnapshot({failing, failing, failing}), Policy{}));
  Event silent = test::ToolCall("get_time", "ok");  // no result_text, summary or exception
  silent.fields.tool_call_hash = ToolCallHash("get_time", "");
  CHECK_FALSE(DetectToolLoop(MakeSnapshot({silent, silent, silent, silent}), Policy{}));
}

TEST_CASE("ToolResultDigest prefers the full text, then the summary, then the exception") {
  const auto text = ToolResultDigest("ok", "full", "short", std::nullopt, std::nullopt);
  CHECK(text == ToolResultDigest("ok", "full", std::nullopt, std::nullopt, std::nullopt));
  CHECK(text != ToolResultDigest("ok", std::nullopt, "full", std::nullopt, std::nullopt));
  CHECK(text != ToolResultDigest("failed", "full", std::nullopt, std::nullopt, std::nullopt));
  CHECK(ToolResultDigest("failed", std::nullopt, std::nullopt, "Timeout", std::nullopt));
  CHECK_FALSE(ToolResultDigest("ok", std::nullopt, std::nullopt, std::nullopt, std::nullopt));
}

TEST_CASE("DetectToolLoop counts to identical_call.min_repeats and follows its own switch") {
  Policy policy;
  policy.identical_call.min_repeats = 4;
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(SearchLoop(3)), policy));
  CHECK(DetectToolLoop(MakeSnapshot(SearchLoop(4)), policy));
  policy.tool_loop.enabled = false;
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(SearchLoop(10)), policy));
  // Not one of Mesedi's detectors: its preset leaves it off, so its findings are unchanged.
  CHECK_FALSE(DetectToolLoop(MakeSnapshot(SearchLoop(10)), PolicyPreset("mesedi")));
}

TEST_CASE("DetectToolLoop reports the loop whose last repeat comes first") {
  const Event a = ToolCallWithResult("read_file", R"({"path":"a"})", "A");
  const Event b = ToolCallWithResult("read_file", R"({"path":"b"})", "B");
  const auto finding = DetectToolLoop(MakeSnapshot({a, b, b, a, b, a}), Policy{});
  test::CheckSignature(finding, Signature("read_file", R"({"path":"b"})"));
}

}  // namespace
}  // namespace vigil
