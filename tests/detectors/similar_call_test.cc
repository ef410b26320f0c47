#include <doctest/doctest.h>

#include <cmath>

#include "detectors/detectors.h"
#include "detectors/trigrams.h"
#include "domain/hash.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;
using test::Repeat;

std::vector<Event> Calls(const std::vector<std::string>& messages) {
  std::vector<Event> events;
  for (const std::string& message : messages) events.push_back(LlmCall("gpt-4o", message));
  return events;
}

std::string ExpectedSignature(const std::string& message) {
  std::string joined;
  for (const std::string& trigram : TopTrigrams(Trigrams(message), 16)) joined += trigram;
  return "similar_call_" + Sha256Hex(joined).substr(0, 8);
}

TEST_CASE("DetectSimilarCall matches the spec's vector") {
  const auto finding =
      DetectSimilarCall(MakeSnapshot(Calls({"Fetch user 1234 at 2026-05-15T10:00:00Z",
                                            "Fetch user 1234 at 2026-05-15T10:00:01Z",
                                            "Fetch user 1234 at 2026-05-15T10:00:02Z"})),
                        Policy{});
  test::CheckFinding(finding, {"similar_call", "loops", 8}, "similar_call_f1ba2fb5");
}

TEST_CASE("DetectSimilarCall needs min_cluster messages") {
  const std::vector<std::string> two = {"Fetch user 1234 at 2026-05-15T10:00:00Z",
                                        "Fetch user 1234 at 2026-05-15T10:00:01Z"};
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(Calls(two)), Policy{}));
  Policy pairs;
  pairs.similar_call.min_cluster = 2;
  CHECK(DetectSimilarCall(MakeSnapshot(Calls(two)), pairs));
}

TEST_CASE("DetectSimilarCall counts neighbours strictly closer than max_distance") {
  const std::vector<std::string> messages = {"abcd", "abce", "abcf"};
  const double distance = CosineDistance(Trigrams("abcd"), Trigrams("abce"));
  CHECK(distance == doctest::Approx(0.5));
  Policy policy;
  policy.similar_call.max_distance = distance;  // equal is not close enough
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(Calls(messages)), policy));
  policy.similar_call.max_distance = std::nextafter(distance, 1.0);
  const auto finding = DetectSimilarCall(MakeSnapshot(Calls(messages)), policy);
  test::CheckSignature(finding, ExpectedSignature("abcd"));
}

TEST_CASE("DetectSimilarCall signs with the first message whose cluster is large enough") {
  const std::vector<std::string> messages = {
      "Translate the invoice for customer 17 into German",
      "List the open support tickets for account 88123",
      "List the open support tickets for account 88124",
      "Translate the invoice for customer 18 into German",
      "List the open support tickets for account 88125",
  };
  const auto finding = DetectSimilarCall(MakeSnapshot(Calls(messages)), Policy{});
  test::CheckSignature(finding, ExpectedSignature(messages[1]));
}

TEST_CASE("DetectSimilarCall skips empty messages, short messages and other events") {
  std::vector<Event> events = Calls({"ok", "ok", "ok", "", "", ""});  // no trigrams, no message
  events.push_back(test::MakeEvent("llm_call"));
  Event tool = test::ToolCall("fetch", "ok");
  tool.fields.user_message = "Fetch user 1234 at 2026-05-15T10:00:00Z";
  events.push_back(tool);
  events.push_back(tool);
  events.push_back(tool);
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(events), Policy{}));
}

TEST_CASE("DetectSimilarCall does not fire on varied requests") {
  const auto finding =
      DetectSimilarCall(MakeSnapshot(Calls({"What is the weather in Paris today?",
                                            "Summarize the quarterly sales report",
                                            "Translate this French paragraph into English please",
                                            "Draft a polite reply declining the meeting"})),
                        Policy{});
  CHECK_FALSE(finding);
}

// Agents that put each tool observation in the next user message (SWE-agent style) append the same
// footer (open file, working directory, prompt) to every one. The footer dominated the trigram
// bags, so three short observations made a "loop" of an ordinary run.
std::vector<Event> ObservationsWithFooter() {
  const std::string footer =
      "\n(Open file: /repo/src/marshmallow/fields.py)\n(Current directory: /repo)\nbash-$ "
      "Remember: one command at a time, wait for its output, then decide the next step.";
  const char* commands[] = {"ls", "grep -n TimeDelta src/marshmallow/fields.py",
                            "python reproduce.py", "pytest tests/test_fields.py -q"};
  const char* outputs[] = {"src tests setup.py", "1456: class TimeDelta(Field):", "344",
                           "12 passed"};
  std::vector<Event> events;
  for (int i = 0; i < 4; ++i) {
    const std::string message = i == 0 ? std::string("Fix the rounding of TimeDelta.") + footer
                                       : std::string(outputs[i - 1]) + footer;
    events.push_back(
        test::WithResponse(LlmCall("gpt-4o", message), std::string("Next I run ") + commands[i]));
    events.push_back(test::ToolCallWithResult(
        "bash", std::string("{\"args\":[\"") + commands[i] + "\"]}", outputs[i]));
  }
  return events;
}

TEST_CASE("A footer shared by every tool observation does not make a similar-call loop") {
  const std::vector<Event> events = ObservationsWithFooter();
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(events), Policy{}));
  // Mesedi's rule compares the messages alone, which the footer makes look alike.
  CHECK(DetectSimilarCall(MakeSnapshot(events), PolicyPreset("mesedi")));
}

TEST_CASE("A multi-step run that keeps its user message is not a similar-call loop") {
  const Event step = LlmCall("gpt-4o", "Plan a two-day agenda for the design offsite in Lisbon.");
  std::vector<Event> events;
  for (int i = 0; i < 4; ++i) {
    events.push_back(step);
    events.push_back(test::ToolCallWithResult("calendar", "{\"day\":" + std::to_string(i) + "}",
                                              "free slots on day " + std::to_string(i)));
  }
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(events), Policy{}));
  CHECK(DetectSimilarCall(MakeSnapshot(events), PolicyPreset("mesedi")));
}

TEST_CASE("Near-identical calls that do the same thing next are a similar-call loop") {
  // A polling loop: the timestamp changes, the agent asks the same tool the same question.
  std::vector<Event> events;
  for (int i = 0; i < 3; ++i) {
    const std::string message =
        "Is job 1234 done? Checked at 2026-05-15T10:00:0" + std::to_string(i) + "Z";
    events.push_back(test::WithResponse(LlmCall("gpt-4o", message), "Checking the job status."));
    events.push_back(test::ToolCallWithResult("job_status", "{\"id\":1234}", "running"));
  }
  const auto finding = DetectSimilarCall(MakeSnapshot(events), Policy{});
  test::CheckSignature(finding, ExpectedSignature(*events[0].fields.user_message));

  SUBCASE("different tool calls next are progress") {
    for (size_t i = 1; i < events.size(); i += 2) {
      events[i] =
          test::ToolCallWithResult("job_status", "{\"id\":" + std::to_string(i) + "}", "running");
    }
    CHECK_FALSE(DetectSimilarCall(MakeSnapshot(events), Policy{}));
  }
  SUBCASE("answers that differ are progress") {
    events[0] = test::WithResponse(events[0], "The job has three stages; stage one is building.");
    events[2] = test::WithResponse(events[2], "Stage two: tests are running on 12 shards now.");
    events[4] = test::WithResponse(events[4], "Deployment to production started at 10:00.");
    CHECK_FALSE(DetectSimilarCall(MakeSnapshot(events), Policy{}));
  }
}

// One structured-output prompt applied to item after item, as a memory or tagging step does: the
// messages share their template and the responses their JSON shape, but each call reads new
// content.
std::vector<Event> OnePromptManyItems(const std::vector<std::string>& items) {
  std::vector<Event> events;
  for (const std::string& item : items) {
    const std::string message = "Content to store:\n" + item +
                                "\n\nExisting scopes: ['/']\nExisting categories: []\n\n"
                                "Return the analysis as structured output.";
    events.push_back(test::WithResponse(
        LlmCall("gpt-4o", message),
        "{\"suggested_scope\":\"/education\",\"categories\":[\"counting\"],\"importance\":0.5}"));
  }
  return events;
}

TEST_CASE("One prompt applied to different items is not a similar-call loop") {
  const std::vector<Event> events =
      OnePromptManyItems({"Counting objects one by one.", "Apples in a basket to count.",
                          "Numbers stand for amounts."});
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(events), Policy{}));
  // Mesedi's rule compares the messages alone, and the template makes them look alike.
  CHECK(DetectSimilarCall(MakeSnapshot(events), PolicyPreset("mesedi")));
}

TEST_CASE("The same prompt whose item changes only by an id or a counter is a similar-call loop") {
  const std::vector<Event> ids =
      OnePromptManyItems({"Order 7f3a91c2-0b4e stuck in state PENDING, retry 1 of 10.",
                          "Order 7f3a91c2-0b4e stuck in state PENDING, retry 2 of 10.",
                          "Order 7f3a91c2-0b4e stuck in state PENDING, retry 3 of 10."});
  CHECK(DetectSimilarCall(MakeSnapshot(ids), Policy{}));
  const std::vector<Event> request_ids =
      OnePromptManyItems({"Request a81f00c9e2 for the quarterly report failed with status 503.",
                          "Request 03bd7e11f4 for the quarterly report failed with status 503.",
                          "Request c6e29a07d8 for the quarterly report failed with status 503."});
  CHECK(DetectSimilarCall(MakeSnapshot(request_ids), Policy{}));
}

TEST_CASE("Equal messages are similar-call neighbours only when identical-call would repeat them") {
  const Event call = test::WithResponse(LlmCall("gpt-4o", "Fetch user 1234 now"), "Fetching.");
  CHECK(DetectSimilarCall(MakeSnapshot(Repeat(call, 3)), Policy{}));
  std::vector<Event> digested;
  for (uint64_t i = 0; i < 3; ++i) digested.push_back(test::WithContext(call, i));
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(digested), Policy{}));
}

TEST_CASE("DetectSimilarCall is off when the policy disables it") {
  Policy policy;
  policy.similar_call.enabled = false;
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(Calls({"abcd", "abcd", "abcd"})), policy));
}

}  // namespace
}  // namespace vigil
