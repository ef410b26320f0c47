#include "domain/saturating.h"

#include <doctest/doctest.h>

#include <limits>

using namespace vigil;

TEST_CASE("SaturatingAdd stops at the int64 bounds instead of overflowing") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(SaturatingAdd(2, 3) == 5);
  CHECK(SaturatingAdd(kMaxSum, 0) == kMaxSum);
  CHECK(SaturatingAdd(kMaxSum, kMaxSum) == kMaxSum);
  CHECK(SaturatingAdd(kMaxSum - 1, 1) == kMaxSum);
  CHECK(SaturatingAdd(kMaxSum, -1) == kMaxSum - 1);
  CHECK(SaturatingAdd(kMin, -1) == kMin);
  CHECK(SaturatingAdd(kMaxSum, kMin) == -1);
}
