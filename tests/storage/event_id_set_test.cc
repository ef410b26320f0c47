#include "storage/event_id_set.h"

#include <doctest/doctest.h>

#include <functional>
#include <string>

using namespace vigil;

namespace {

uint64_t SetHash(std::string_view k) { return std::hash<std::string_view>{}(k); }

}  // namespace

TEST_CASE("EventIdSet finds what it holds, across growth, and nothing else") {
  EventIdSet s;
  int wrong = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string k = "evt-" + std::to_string(i);
    wrong += s.Add(k, SetHash(k), i + 1) != static_cast<uint32_t>(i);  // indexes in insertion order
  }
  for (int i = 0; i < 5000; ++i) {
    const std::string k = "evt-" + std::to_string(i);
    const uint32_t at = s.Find(k, SetHash(k));
    wrong += at == EventIdSet::kNone || s.row(at) != i + 1 || s.key(at) != k;
    const std::string absent = "other-" + std::to_string(i);
    wrong += s.Find(absent, SetHash(absent)) != EventIdSet::kNone;
  }
  CHECK(wrong == 0);
  CHECK(s.size() == 5000);
}

TEST_CASE("EventIdSet tells apart keys that differ only in trailing or embedded NUL bytes") {
  EventIdSet s;
  const std::string a = "a", a0 = std::string("a\0", 2), a0b = std::string("a\0b", 3);
  s.Add(a, SetHash(a), 1);
  s.Add(a0, SetHash(a0), 2);
  CHECK(s.row(s.Find(a, SetHash(a))) == 1);
  CHECK(s.row(s.Find(a0, SetHash(a0))) == 2);
  CHECK(s.Find(a0b, SetHash(a0b)) == EventIdSet::kNone);
  CHECK(s.key(s.Find(a0, SetHash(a0))) == a0);
}

TEST_CASE("EventIdSet removes newest first and can be refilled after Clear") {
  EventIdSet s;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = "k" + std::to_string(i);
    s.Add(k, SetHash(k), i);
  }
  // Thousands of keys in a table of a few thousand slots: removals cross many probe chains.
  for (int i = 2999; i >= 1000; --i) s.RemoveNewest();
  CHECK(s.size() == 1000);
  int lost = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string k = "k" + std::to_string(i);
    lost += s.Find(k, SetHash(k)) != static_cast<uint32_t>(i);
  }
  CHECK(lost == 0);
  CHECK(s.Find("k999", SetHash("k999")) != EventIdSet::kNone);
  CHECK(s.Find("k1000", SetHash("k1000")) == EventIdSet::kNone);
  s.set_row(s.Find("k5", SetHash("k5")), 77);
  CHECK(s.row(s.Find("k5", SetHash("k5"))) == 77);
  s.Clear();
  CHECK(s.size() == 0);
  CHECK(s.Find("k5", SetHash("k5")) == EventIdSet::kNone);
  s.Add("k5", SetHash("k5"), 9);
  CHECK(s.row(s.Find("k5", SetHash("k5"))) == 9);
}
