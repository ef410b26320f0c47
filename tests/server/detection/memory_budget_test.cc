#include "server/detection/memory_budget.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

namespace vigil {
namespace {

// Long enough for a thread that could go on to have done so.
void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

TEST_CASE("MemoryBudget counts the leases held and what they are corrected to") {
  MemoryBudget budget(100);
  {
    MemoryBudget::Lease a = budget.Acquire(30);
    MemoryBudget::Lease b = budget.Acquire(70);
    CHECK(budget.held() == 100);
    a.Resize(10);  // the pass read less than it assumed
    CHECK(budget.held() == 80);
    b.Resize(500);  // or more: it holds that already
    CHECK(budget.held() == 510);
    MemoryBudget::Lease moved = std::move(b);
    CHECK(budget.held() == 510);
  }
  CHECK(budget.held() == 0);
}

TEST_CASE("MemoryBudget lets a lease larger than the budget run alone") {
  MemoryBudget budget(100);
  MemoryBudget::Lease big = budget.Acquire(1000);  // nothing else held: admitted
  CHECK(budget.held() == 1000);
  std::atomic<bool> admitted{false};
  std::thread small([&] {
    MemoryBudget::Lease l = budget.Acquire(1);
    admitted = true;
  });
  Pause();
  CHECK_FALSE(admitted.load());  // waits while the big one is held
  { MemoryBudget::Lease gone = std::move(big); }
  small.join();
  CHECK(admitted.load());
  CHECK(budget.held() == 0);
}

TEST_CASE(
    "MemoryBudget admits in order of asking, so small leases do not pass a waiting large one") {
  MemoryBudget budget(100);
  std::optional<MemoryBudget::Lease> first(budget.Acquire(60));
  std::atomic<bool> large_in{false}, small_in{false};
  std::thread large([&] {
    MemoryBudget::Lease l = budget.Acquire(50);  // does not fit beside the 60
    large_in = true;
  });
  Pause();
  std::thread small([&] {
    MemoryBudget::Lease l = budget.Acquire(10);  // would fit beside the 60, but asked later
    small_in = true;
  });
  Pause();
  CHECK_FALSE(large_in.load());
  CHECK_FALSE(small_in.load());
  CHECK(budget.held() == 60);
  first.reset();
  large.join();
  small.join();
  CHECK(large_in.load());
  CHECK(small_in.load());
  CHECK(budget.held() == 0);
}

}  // namespace
}  // namespace vigil
