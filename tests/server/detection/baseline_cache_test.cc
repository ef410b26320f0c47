#include "server/detection/baseline_cache.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

AgentBaseline WithSteps(int64_t p95_steps) {
  AgentBaseline baseline;
  baseline.executions = 20;
  baseline.p95_steps = p95_steps;
  return baseline;
}

TEST_CASE("BaselineCache keeps one baseline per project and name") {
  BaselineCache cache(10);
  cache.Put(1, "agent", WithSteps(10));
  cache.Put(2, "agent", WithSteps(20));  // another tenant's agent of the same name
  REQUIRE(cache.Get(1, "agent"));
  CHECK(cache.Get(1, "agent")->p95_steps == 10);
  CHECK(cache.Get(2, "agent")->p95_steps == 20);
  CHECK_FALSE(cache.Get(3, "agent"));
  CHECK_FALSE(cache.Get(1, "other"));
  cache.Put(1, "agent", WithSteps(11));  // a completion refreshes it
  CHECK(cache.Get(1, "agent")->p95_steps == 11);
  CHECK(cache.size() == 2);
}

TEST_CASE("BaselineCache evicts the least recently used entry past its bound") {
  BaselineCache cache(2);
  cache.Put(1, "a", WithSteps(1));
  cache.Put(1, "b", WithSteps(2));
  CHECK(cache.Get(1, "a"));  // a is now the most recent
  cache.Put(1, "c", WithSteps(3));
  CHECK(cache.size() == 2);
  CHECK(cache.Get(1, "a"));
  CHECK_FALSE(cache.Get(1, "b"));
  CHECK(cache.Get(1, "c"));
}

TEST_CASE("BaselineCache keys cannot collide across projects through the name") {
  BaselineCache cache(10);
  cache.Put(1,
            "2\x1f"
            "x",
            WithSteps(5));  // never accepted as a name; still kept apart
  CHECK_FALSE(cache.Get(12, "x"));
  CHECK_FALSE(cache.Get(1, "x"));
}

}  // namespace
}  // namespace vigil
