#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "domain/hash.h"
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
  REQUIRE(finding);
  CHECK(finding->detector == "identical_call");
  CHECK(finding->failure_class == "loops");
  CHECK(finding->signature == "identical_call_ca3b6bcf");
  CHECK(finding->group_id == GroupId("proj-dev", "loops", "identical_call_ca3b6bcf"));
  CHECK(finding->priority == 7);
}

TEST_CASE("DetectIdenticalCall reports the first key to reach the threshold") {
  const Event a = LlmCall("claude-opus-4-6", "Did you understand my last request?");
  const Event b = LlmCall("claude-opus-4-6", "Please clarify the answer to my question.");
  // b reaches three repeats at the fifth call, a only at the sixth.
  const auto finding = DetectIdenticalCall(MakeSnapshot({a, b, b, a, b, a}), Policy{});
  REQUIRE(finding);
  CHECK(finding->signature == "identical_call_8d7173f8");
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
  const Event empty = test::MakeEvent("llm_call");
  const auto finding = DetectIdenticalCall(MakeSnapshot(Repeat(empty, 3)), Policy{});
  REQUIRE(finding);
  CHECK(finding->signature == "identical_call_" + IdenticalCallKey("", ""));
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

TEST_CASE("DetectIdenticalCall ignores events that are not llm calls") {
  Event tool = test::ToolCall("search", "ok");
  CHECK_FALSE(DetectIdenticalCall(MakeSnapshot(Repeat(tool, 10)), Policy{}));
}

}  // namespace
}  // namespace vigil
