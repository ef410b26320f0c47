// Orphan spans: recorded when their parent is unknown, taken in by a later nested agent span.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "server/otlp/mapping.h"
#include "server/otlp/span_owners.h"
#include "tests/server/otlp/span_builder.h"

// Named, not anonymous: the unity build joins test files, and these helpers must not meet theirs.
namespace otlp_adoption_test {
using namespace vigil;
using namespace vigil::otlp;

using vigil::otlp::test::kTrace;

Span Child(std::string id, std::string parent, std::string operation, uint64_t start_s) {
  Span s = vigil::otlp::test::MakeSpan(
      std::move(id), std::move(parent),
      {vigil::otlp::test::Str("gen_ai.operation.name", std::move(operation))}, start_s);
  s.end_unix_nano = s.start_unix_nano + 1000;
  return s;
}

TEST_CASE("Spans below an agent span not yet exported are orphans, adopted when it comes") {
  // Request 1: a chat and a tool under the agent span "a1", a checkpoint under the chat.
  const std::vector<Span> first = {Child("c1", "a1", "chat", 2),
                                   Child("t1", "a1", "execute_tool", 3),
                                   Child("k1", "c1", "other", 4), Child("r2", "root", "chat", 5)};
  const MappedTraces m1 = MapSpans(
      first, [](std::string_view, std::string_view) { return std::optional<std::string>(); });
  REQUIRE(m1.orphans.size() == 4);  // r2 too: its root has not come either
  CHECK(m1.orphans[0].span_id == "c1");
  CHECK(m1.orphans[0].parent_span_id == "a1");
  CHECK(m1.orphans[0].sequence == 2000000);
  OrphanSpanCache cache(100, 100);
  cache.Add(7, m1.orphans);
  CHECK(cache.Of(8, kTrace).empty());  // another project's trace of the same id sees nothing
  // Request 2: the agent span, and a late span under the (adopted) chat span.
  const std::vector<Span> second = {Child("a1", "root", "invoke_agent", 1),
                                    Child("g1", "c1", "chat", 6)};
  const std::vector<Adoption> adopted =
      AdoptOrphans(second, [&](std::string_view trace) { return cache.Of(7, trace); });
  REQUIRE(adopted.size() == 3);  // c1, t1 and k1 below it; not r2
  const std::string child = std::string("otel-") + kTrace + "-a1";
  std::vector<std::string> ids;
  for (const Adoption& a : adopted) {
    CHECK(a.execution_id == child);
    ids.push_back(a.span.span_id);
  }
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"c1", "k1", "t1"});
  cache.Remove(7, adopted);
  CHECK(cache.size() == 1);
  CHECK(cache.Of(7, kTrace)[0].span_id == "r2");
}

TEST_CASE("Adoption stops at another nested agent span and needs a nested agent") {
  OrphanSpanCache cache(100, 100);
  cache.Add(1, {{kTrace, "x", "b1", 5}});
  const auto earlier = [&](std::string_view trace) { return cache.Of(1, trace); };
  // a1 > b1 > x: x belongs to b1's execution, not a1's.
  const std::vector<Adoption> adopted = AdoptOrphans(
      {Child("a1", "root", "invoke_agent", 1), Child("b1", "a1", "invoke_agent", 2)}, earlier);
  REQUIRE(adopted.size() == 1);
  CHECK(adopted[0].execution_id == std::string("otel-") + kTrace + "-b1");
  // A root agent span is the trace's execution: its orphans stay there.
  CHECK(AdoptOrphans({Child("b1", "", "invoke_agent", 1)}, earlier).empty());
}

TEST_CASE("OrphanSpanCache is bounded in all and per trace, the oldest forgotten first") {
  OrphanSpanCache cache(3, 2);
  cache.Add(1, {{"t", "a", "p", 1}, {"t", "b", "p", 2}, {"t", "c", "p", 3}});
  CHECK(cache.size() == 2);  // the trace's bound
  cache.Add(1, {{"u", "d", "p", 4}, {"v", "e", "p", 5}});
  CHECK(cache.size() == 3);
  CHECK(cache.Of(1, "t").size() == 1);  // "a" went first
  CHECK(cache.Of(1, "t")[0].span_id == "b");
}

TEST_CASE("A root span's arrival forgets the orphans below it, and only those") {
  OrphanSpanCache cache(100, 100);
  cache.Add(1, {{"t", "a", "root", 1},
                {"t", "b", "a", 2},
                {"t", "c", "agent", 3},
                {"t", "root", "b", 4}});  // a cycle through a span claiming the root's id
  cache.Add(2, {{"t", "a", "root", 1}});
  cache.ForgetBelowRoot(1, "t", "root");
  REQUIRE(cache.Of(1, "t").size() == 1);
  CHECK(cache.Of(1, "t")[0].span_id == "c");
  CHECK(cache.size() == 2);  // project 2's orphan stays
  CHECK(cache.Of(2, "t").size() == 1);
}

}  // namespace otlp_adoption_test
