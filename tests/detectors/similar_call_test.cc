#include <doctest/doctest.h>

#include <cmath>

#include "detectors/detectors.h"
#include "detectors/trigrams.h"
#include "domain/hash.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;

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
  REQUIRE(finding);
  CHECK(finding->detector == "similar_call");
  CHECK(finding->failure_class == "loops");
  CHECK(finding->signature == "similar_call_f1ba2fb5");
  CHECK(finding->group_id == GroupId("proj-dev", "loops", "similar_call_f1ba2fb5"));
  CHECK(finding->priority == 8);
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
  REQUIRE(finding);
  CHECK(finding->signature == ExpectedSignature("abcd"));
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
  REQUIRE(finding);
  CHECK(finding->signature == ExpectedSignature(messages[1]));
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

TEST_CASE("DetectSimilarCall is off when the policy disables it") {
  Policy policy;
  policy.similar_call.enabled = false;
  CHECK_FALSE(DetectSimilarCall(MakeSnapshot(Calls({"abcd", "abcd", "abcd"})), policy));
}

}  // namespace
}  // namespace vigil
