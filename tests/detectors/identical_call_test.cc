#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "domain/hash.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;
using test::Repeat;

TEST_CASE("IdenticalCallKey matches the spec's vectors") {
  CHECK(IdenticalCallKey("claude-opus-4-6", "Did you understand my last request?") == "ca3b6bcf");
  CHECK(IdenticalCallKey("claude-opus-4-6", "Please clarify the answer to my question.") ==
        "8d7173f8");
}

TEST_CASE("IdenticalCallHash is the number whose hex is IdenticalCallKey") {
  CHECK(IdenticalCallHash("claude-opus-4-6", "Did you understand my last request?") == 0xca3b6bcfu);
  CHECK(IdenticalCallHash("claude-opus-4-6", "Please clarify the answer to my question.") ==
        0x8d7173f8u);
  // Keys with leading zero digits keep all eight of them.
  for (int i = 0; i < 256; ++i) {
    const std::string message = "message " + std::to_string(i);
    const uint32_t hash = IdenticalCallHash("m", message);
    CHECK(IdenticalCallKey("m", message) ==
          Sha256Hex(std::string("m") + '\0' + message).substr(0, 8));
    if (hash < 0x10000000u) CHECK(IdenticalCallKey("m", message)[0] == '0');
  }
}

TEST_CASE("DetectIdenticalCall uses a precomputed hash exactly as one it computes") {
  const Event call = LlmCall("claude-opus-4-6", "Did you understand my last request?");
  std::vector<Event> precomputed = Repeat(call, 3);
  for (Event& e : precomputed) {
    e.fields.identical_call_hash =
        IdenticalCallHash("claude-opus-4-6", "Did you understand my last request?");
    e.fields.user_message.reset();  // the live cache keeps the hash, not the message
  }
  const auto computed = DetectIdenticalCall(MakeSnapshot(Repeat(call, 3)), Policy{});
  const auto cached = DetectIdenticalCall(MakeSnapshot(precomputed), Policy{});
  REQUIRE(computed);
  REQUIRE(cached);
  CHECK(cached->signature == computed->signature);
  CHECK(cached->group_id == computed->group_id);
}

TEST_CASE("DetectIdenticalCall fires when one call is repeated min_repeats times") {
  const Event call = LlmCall("claude-opus-4-6", "Did you understand my last request?");
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(call, 2)), Policy{}));  // boundary - 1
  const auto finding = DetectIdenticalCall(MakeSnapshot(Repeat(call, 3)), Policy{});
  test::CheckFinding(finding, {"identical_call", "loops", 7}, "identical_call_ca3b6bcf");
}

TEST_CASE("DetectIdenticalCall reports the first key to reach the threshold") {
  const Event a = LlmCall("claude-opus-4-6", "Did you understand my last request?");
  const Event b = LlmCall("claude-opus-4-6", "Please clarify the answer to my question.");
  // b reaches three repeats at the fifth call, a only at the sixth.
  const auto finding = DetectIdenticalCall(MakeSnapshot({a, b, b, a, b, a}), Policy{});
  test::CheckSignature(finding, "identical_call_8d7173f8");
}

TEST_CASE("DetectIdenticalCall tells calls apart by model and by message") {
  const std::vector<Event> events = {
      LlmCall("gpt-4o", "Summarise the report"), LlmCall("gpt-4o-mini", "Summarise the report"),
      LlmCall("gpt-4o", "Summarise the report."), LlmCall("gpt-4o", "summarise the report")};
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(events), Policy{}));
}

TEST_CASE("DetectIdenticalCall counts failed calls and calls without model or message") {
  Event failed = LlmCall("gpt-4o", "retry me");
  failed.fields.status = "failed";
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(failed, 3)), Policy{}));
  // Mesedi's rule: a missing model or message is empty, and counts.
  Event empty = test::MakeEvent("llm_call");
  empty.fields.no_user_message = true;  // as both payload extractions mark it
  const auto finding = DetectIdenticalCall(MakeSnapshot(Repeat(empty, 3)), PolicyPreset("mesedi"));
  test::CheckSignature(finding, "identical_call_" + IdenticalCallKey("", ""));
}

// An OpenTelemetry instrumentation that does not capture content records each model call as a
// model name and token counts: every call of a multi-step run then looks the same, and nothing
// says that any two of them asked the same thing.
TEST_CASE("Context-aware, calls that carry neither a message nor a digest repeat nothing") {
  Event opaque = test::MakeEvent("llm_call");
  opaque.fields.model = "gpt-4o";
  opaque.fields.no_user_message = true;
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(opaque, 5)), Policy{}));
  Event empty_message = LlmCall("gpt-4o", "");
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(empty_message, 5)), Policy{}));
  // A digest still identifies the request, with or without a message.
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(test::WithContext(opaque, 7), 3)), Policy{}));
  // And a message with them is compared as before.
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(LlmCall("gpt-4o", "again"), 3)), Policy{}));
}

TEST_CASE("DetectIdenticalCall follows min_repeats and the enabled flag") {
  const Event call = LlmCall("gpt-4o", "again");
  Policy policy;
  policy.identical_call.min_repeats = 5;
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(call, 4)), policy));
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(call, 5)), policy));
  policy.identical_call.min_repeats = 2;
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(call, 2)), policy));
  policy.identical_call.enabled = false;
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(call, 10)), policy));
}

// The story behind the context-aware rule: a tool-calling agent makes several model calls after one
// user turn, and each records the same last user message while the tool results differ. Keyed on
// the message alone, every such run of three steps or more was a "loop".
std::vector<Event> MultiStepToolRun(bool with_digest) {
  const Event step = LlmCall("gpt-4o", "Find the cheapest flight to Lisbon and book it.");
  std::vector<Event> events;
  const char* results[] = {"3 flights found", "TAP 212 costs 89 EUR", "booked: ref QX7"};
  for (int i = 0; i < 3; ++i) {
    Event call = test::WithResponse(step, "");  // a tool request has no text
    if (with_digest) call = test::WithContext(call, 100 + static_cast<uint64_t>(i));
    events.push_back(call);
    events.push_back(
        test::ToolCallWithResult("flights", "{\"step\":" + std::to_string(i) + "}", results[i]));
  }
  Event last = test::WithResponse(step, "Booked TAP 212 for 89 EUR.");
  if (with_digest) last = test::WithContext(last, 200);
  events.push_back(last);
  return events;
}

TEST_CASE("A multi-step tool-calling run with one user message is not an identical-call loop") {
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(MultiStepToolRun(true)), Policy{}));
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(MultiStepToolRun(false)), Policy{}));
  // Mesedi's rule, keyed on the message alone, calls it a loop.
  CHECK(DetectIdenticalCall(MakeSnapshot(MultiStepToolRun(false)), PolicyPreset("mesedi")));
}

TEST_CASE("The same context digest three times is a loop, signed by model and message") {
  const Event call = test::WithContext(
      test::WithResponse(LlmCall("claude-opus-4-6", "Did you understand my last request?"), "Yes"),
      0xfeedu);
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(call, 2)), Policy{}));
  // Tool results between the calls do not matter: the digest says the model saw the same input.
  std::vector<Event> events = Repeat(call, 3);
  events.insert(events.begin() + 1, test::ToolCallWithResult("search", "{}", "nothing"));
  const auto finding = DetectIdenticalCall(MakeSnapshot(events), Policy{});
  REQUIRE(finding);
  CHECK(finding->signature == "identical_call_ca3b6bcf");  // the spec's key, so groups stay stable
  // Different digests are different requests, however alike their last user message.
  std::vector<Event> growing;
  for (uint64_t i = 0; i < 5; ++i) growing.push_back(test::WithContext(call, i));
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(growing), Policy{}));
}

TEST_CASE("Without a digest, calls repeat only when nothing changed the context between them") {
  const Event call = LlmCall("gpt-4o", "Summarise the ticket");
  SUBCASE("failed retries and unchanged answers are repeats") {
    Event failed = call;
    failed.fields.status = "failed";
    CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(failed, 3)), Policy{}));
    CHECK(
        DetectIdenticalCall(MakeSnapshot(Repeat(test::WithResponse(call, "Same."), 3)), Policy{}));
  }
  SUBCASE("a tool result between two calls separates them") {
    const Event tool = test::ToolCallWithResult("fetch_ticket", "{}", "ticket 7");
    CHECK_FALSE(DetectIdenticalCall(MakeSnapshot({call, call, tool, call}), Policy{}));
    CHECK(DetectIdenticalCall(MakeSnapshot({call, call, tool, call, call, call}), Policy{}));
  }
  SUBCASE("a different response separates them") {
    const std::vector<Event> events = {test::WithResponse(call, "Draft one"),
                                       test::WithResponse(call, "Draft two"),
                                       test::WithResponse(call, "Draft three")};
    CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(events), Policy{}));
  }
  SUBCASE("Mesedi's rule ignores all of that") {
    const Event tool = test::ToolCallWithResult("fetch_ticket", "{}", "ticket 7");
    CHECK(
        DetectIdenticalCall(MakeSnapshot({call, tool, call, tool, call}), PolicyPreset("mesedi")));
  }
}

// Mesedi's SDKs send no digest, and a client need not record its tools as tool_call events: the
// model's tool requests are then all that shows the context moving on.
TEST_CASE(
    "Without a digest, a call that asked for tools moves the context on; a failure does not") {
  Event request = LlmCall("gpt-4o", "Find the cheapest flight to Lisbon and book it.");
  request.fields.asked_for_tools = true;  // as extraction marks a tool request
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(request, 4)), Policy{}));
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(request, 3)), PolicyPreset("mesedi")));
  Event failed = LlmCall("gpt-4o", "Find the cheapest flight to Lisbon and book it.");
  failed.fields.status = "failed";  // extraction leaves asked_for_tools false
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(failed, 3)), Policy{}));
  // A digest decides alone: the same request three times is a loop whatever it answered.
  CHECK(DetectIdenticalCall(MakeSnapshot(Repeat(test::WithContext(request, 9), 3)), Policy{}));
}

TEST_CASE("A call with a digest never repeats one without, even when the numbers coincide") {
  const Event plain = LlmCall("gpt-4o", "again");
  // The number a digest-less call is identified by: its key and its context epoch (0).
  const uint64_t same_number = uint64_t{IdenticalCallHash("gpt-4o", "again")} << 32;
  const Event digested = test::WithContext(plain, same_number);
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot({plain, digested, plain}), Policy{}));
  CHECK(DetectIdenticalCall(MakeSnapshot({plain, digested, plain, plain}), Policy{}));
}

TEST_CASE("DetectIdenticalCall ignores events that are not llm calls") {
  Event tool = test::ToolCall("search", "ok");
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(tool, 10)), Policy{}));
}

}  // namespace
}  // namespace vigil
