#include <doctest/doctest.h>

#include "detectors/detectors.h"
#include "detectors/trigrams.h"
#include "tests/detectors/finding_checks.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;
using test::MakeSnapshot;

ExecutionSnapshot Drifting(std::vector<std::string> current, std::vector<std::string> history) {
  std::vector<Event> events;
  for (std::string& message : current) events.push_back(LlmCall("gpt-4o", std::move(message)));
  ExecutionSnapshot snapshot = MakeSnapshot(std::move(events));
  snapshot.history.user_messages = std::move(history);
  return snapshot;
}

Policy Enabled() {
  Policy policy = PolicyPreset("mesedi");  // enabled, min_history 0, min_distance 0.45
  return policy;
}

const std::vector<std::string> kHistory = {"What is the weather in Paris today?",
                                           "Summarize the quarterly sales report"};
const char kCurrent[] = "Translate this French paragraph into English please";

TEST_CASE("Lexical distance matches the spec's vector: one combined bag per side") {
  const TrigramBag current = Trigrams(kCurrent);
  const TrigramBag history = CombinedTrigrams({kHistory[0], kHistory[1]});
  CHECK(CosineDistance(current, history) == doctest::Approx(0.877039).epsilon(1e-6));
}

TEST_CASE("DetectLexicalDrift fires with the spec's bucket") {
  const auto finding = DetectLexicalDrift(Drifting({kCurrent}, kHistory), Enabled());
  test::CheckFinding(finding, {"lexical_drift", "drift", 11}, "lexical_drift_0.70+");
}

TEST_CASE("DetectLexicalDrift fires at the min_distance boundary and not above it") {
  const double distance =
      CosineDistance(Trigrams(kCurrent), CombinedTrigrams({kHistory[0], kHistory[1]}));
  Policy policy = Enabled();
  policy.lexical_drift.min_distance = distance;
  CHECK(DetectLexicalDrift(Drifting({kCurrent}, kHistory), policy));
  policy.lexical_drift.min_distance = distance + 1e-9;
  CHECK_FALSE(DetectLexicalDrift(Drifting({kCurrent}, kHistory), policy));
}

TEST_CASE("DetectLexicalDrift stays quiet on familiar text") {
  CHECK_FALSE(DetectLexicalDrift(Drifting({"What is the weather in Paris tomorrow?"}, kHistory),
                                 Enabled()));
}

TEST_CASE("DetectLexicalDrift needs both sides and enough history") {
  CHECK_FALSE(DetectLexicalDrift(Drifting({kCurrent}, {}), Enabled()));
  CHECK_FALSE(DetectLexicalDrift(Drifting({}, kHistory), Enabled()));
  CHECK_FALSE(DetectLexicalDrift(Drifting({""}, kHistory), Enabled()));
  CHECK_FALSE(DetectLexicalDrift(Drifting({"ab"}, kHistory), Enabled()));  // empty bag
  CHECK_FALSE(DetectLexicalDrift(Drifting({kCurrent}, {"", "ok"}), Enabled()));
  Policy policy = Enabled();
  policy.lexical_drift.min_history = 3;
  CHECK_FALSE(DetectLexicalDrift(Drifting({kCurrent}, kHistory), policy));
  policy.lexical_drift.min_history = 2;
  CHECK(DetectLexicalDrift(Drifting({kCurrent}, kHistory), policy));
}

TEST_CASE("DetectLexicalDrift reads at most history.max_messages, newest first") {
  // The two newest messages are foreign; older ones repeat the current text.
  const std::vector<std::string> history = {kHistory[0], kHistory[1], kCurrent, kCurrent};
  Policy policy = Enabled();
  policy.history.max_messages = 2;
  const auto finding = DetectLexicalDrift(Drifting({kCurrent}, history), policy);
  test::CheckSignature(finding, "lexical_drift_0.70+");
  // With the older messages in the baseline, the current text is familiar.
  policy.history.max_messages = 500;
  CHECK_FALSE(DetectLexicalDrift(Drifting({kCurrent}, history), policy));
}

TEST_CASE("DetectLexicalDrift is off in the vigil preset") {
  CHECK_FALSE(DetectLexicalDrift(Drifting({kCurrent}, kHistory), Policy{}));
}

}  // namespace
}  // namespace vigil
