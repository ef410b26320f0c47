#include "server/accounts/auth.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "server/accounts/rate_limiter.h"
#include "server/http/router.h"

using namespace vigil;

namespace {
AuthRecord Rec(const std::string& key_id, int64_t project) {
  AuthRecord r;
  r.key_id = key_id;
  r.project = project;
  return r;
}
}  // namespace

TEST_CASE("KeyCache expires entries after the TTL") {
  KeyCache cache(10, 1000);
  cache.Put("h1", Rec("k1", 1), 0, cache.epoch());
  CHECK(cache.Get("h1", 999).has_value());
  CHECK_FALSE(cache.Get("h1", 1000).has_value());
}

TEST_CASE("KeyCache is bounded and evicts the least recently used") {
  KeyCache cache(2, 60000);
  cache.Put("a", Rec("ka", 1), 0, cache.epoch());
  cache.Put("b", Rec("kb", 1), 0, cache.epoch());
  CHECK(cache.Get("a", 1).has_value());  // a is now most recent
  cache.Put("c", Rec("kc", 1), 2, cache.epoch());
  CHECK(cache.size() == 2);
  CHECK(cache.Get("a", 3).has_value());
  CHECK_FALSE(cache.Get("b", 3).has_value());
}

TEST_CASE("KeyCache does not store a lookup that raced with an eviction") {
  KeyCache cache(10, 60000);
  const uint64_t before = cache.epoch();
  cache.EvictKey("ka");  // a revoke lands while the lookup is reading the database
  cache.Put("a", Rec("ka", 1), 0, before);
  CHECK_FALSE(cache.Get("a", 1).has_value());
}

TEST_CASE("KeyCache evicts by key id and by project") {
  KeyCache cache(10, 60000);
  cache.Put("a", Rec("ka", 1), 0, cache.epoch());
  cache.Put("b", Rec("kb", 1), 0, cache.epoch());
  cache.Put("c", Rec("kc", 2), 0, cache.epoch());
  cache.EvictKey("ka");
  CHECK_FALSE(cache.Get("a", 1).has_value());
  cache.EvictProject(1);
  CHECK_FALSE(cache.Get("b", 1).has_value());
  CHECK(cache.Get("c", 1).has_value());
}

TEST_CASE("RateLimiter starts full, refuses without a whole token, refills over time") {
  RateLimiter rl(3, 1);
  for (int i = 0; i < 3; ++i) CHECK(rl.Take(1, Bucket::kIngest, 0).allowed);
  RateDecision d = rl.Take(1, Bucket::kIngest, 0);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_s == 1);
  CHECK(d.remaining == 0);
  CHECK(d.limit == 3);
  CHECK(rl.Take(1, Bucket::kOther, 0).allowed);   // separate bucket
  CHECK(rl.Take(2, Bucket::kIngest, 0).allowed);  // separate project
  CHECK(rl.Take(1, Bucket::kIngest, 1000).allowed);
  CHECK_FALSE(rl.Take(1, Bucket::kIngest, 1000).allowed);
}

TEST_CASE("RateLimiter honours per-project overrides") {
  RateLimiter rl(100, 10);
  CHECK(rl.Take(1, Bucket::kOther, 0, 1.0, 0.5).allowed);
  RateDecision d = rl.Take(1, Bucket::kOther, 0, 1.0, 0.5);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_s == 2);
}

TEST_CASE("RateLimiter headers stay in range whatever override was stored") {
  RateLimiter rl(100, 10);
  const int64_t now_ms = 1700000000000;
  for (double rate : {1e-300, 0.0, -5.0, 1e300, std::nan("")}) {
    CAPTURE(rate);
    for (int i = 0; i < 3; ++i) {
      const RateDecision d = rl.Take(7, Bucket::kOther, now_ms, 1e300, rate);
      CHECK(d.reset_unix_s >= now_ms / 1000);
      CHECK(d.retry_after_s >= 0);
      CHECK(d.limit >= 1);
      CHECK(d.remaining >= 0);
    }
    rl.Forget(7);
  }
  const RateDecision slow = rl.Take(8, Bucket::kOther, now_ms, 1.0, 1e-300);
  CHECK(slow.allowed);
  const RateDecision refused = rl.Take(8, Bucket::kOther, now_ms, 1.0, 1e-300);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_s == 1000);  // the slowest rate an operator may set
}

TEST_CASE("SignupLimiter reserves five slots per hour per IP") {
  SignupLimiter sl;
  for (int i = 0; i < 5; ++i) CHECK(sl.Reserve("1.2.3.4", i) == 0);
  CHECK(sl.Reserve("1.2.3.4", 10) > 3500);
  CHECK(sl.Reserve("5.6.7.8", 10) == 0);
  CHECK(sl.Reserve("1.2.3.4", 3600 * 1000 + 1) == 0);
}

TEST_CASE("SignupLimiter gives a released slot back") {
  SignupLimiter sl;
  for (int i = 0; i < 5; ++i) REQUIRE(sl.Reserve("1.2.3.4", 100) == 0);
  CHECK(sl.Reserve("1.2.3.4", 200) > 0);
  sl.Release("1.2.3.4", 100);
  CHECK(sl.Reserve("1.2.3.4", 200) == 0);
  CHECK(sl.Reserve("1.2.3.4", 200) > 0);
}

TEST_CASE("SignupLimiter never lets concurrent signups from one IP past the limit") {
  SignupLimiter sl;
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (sl.Reserve("9.9.9.9", 1000) == 0) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(granted.load() == SignupLimiter::kMaxPerHour);
}

TEST_CASE("MatchRoute decodes one segment per parameter and reports 405 methods") {
  static const std::vector<Route> routes = {
      {"GET", "/executions/{id}", Access::kApiKey, Bucket::kOther, BodyUse::kNone, nullptr},
      {"PATCH", "/executions/{id}", Access::kApiKey, Bucket::kIngest, BodyUse::kRequired, nullptr},
  };
  RouteMatch m = MatchRoute(routes, "GET", "/executions/a%2Fb");
  REQUIRE(m.route != nullptr);
  CHECK(m.params == std::vector<std::string>{"a/b"});
  CHECK(MatchRoute(routes, "HEAD", "/executions/x").route == &routes[0]);
  m = MatchRoute(routes, "DELETE", "/executions/x");
  CHECK(m.route == nullptr);
  CHECK(m.path_known);
  CHECK(m.allow == "GET, HEAD, PATCH");
  CHECK_FALSE(MatchRoute(routes, "GET", "/executions/").path_known);
  CHECK_FALSE(MatchRoute(routes, "GET", "/executions/%zz").path_known);
}

TEST_CASE("MatchRoute gives a trailing {rest*} segment the rest of the path") {
  static const std::vector<Route> routes = {
      {"GET", "/ui", Access::kPublic, Bucket::kOther, BodyUse::kNone, nullptr},
      {"GET", "/ui/{path*}", Access::kPublic, Bucket::kOther, BodyUse::kNone, nullptr},
  };
  struct Case {
    const char* path;
    const Route* route;
    const char* rest;
  };
  const Case cases[] = {
      {"/ui", &routes[0], nullptr},
      {"/ui/", &routes[1], ""},
      {"/ui/assets/js/main.js", &routes[1], "assets/js/main.js"},
      {"/ui/executions/a%20b", &routes[1], "executions/a b"},
      {"/ui/executions/", &routes[1], "executions/"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    const RouteMatch m = MatchRoute(routes, "GET", c.path);
    REQUIRE(m.route == c.route);
    if (c.rest) CHECK(m.params == std::vector<std::string>{c.rest});
  }
  CHECK(MatchRoute(routes, "GET", "/uix").route == nullptr);
  CHECK_FALSE(MatchRoute(routes, "GET", "/ui/%zz").path_known);
  CHECK(MatchRoute(routes, "POST", "/ui/x").allow == "GET, HEAD");
}

TEST_CASE("AttemptThrottle refuses after the burst of failures, refunds successes, refills") {
  AttemptThrottle t(3, 0.5);
  for (int i = 0; i < 3; ++i) CHECK(t.Take("1.2.3.4", 0) == 0);
  CHECK(t.Take("1.2.3.4", 0) == 2);  // one token at 0.5 per second
  CHECK(t.Take("5.6.7.8", 0) == 0);  // other addresses are not affected
  CHECK(t.Take("1.2.3.4", 2000) == 0);
  CHECK(t.Take("1.2.3.4", 2000) > 0);
  AttemptThrottle ok(2, 0.001);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(ok.Take("9.9.9.9", 0) == 0);
    ok.Refund("9.9.9.9");  // successful attempts never use the bucket up
  }
}
