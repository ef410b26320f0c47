// Sums of numbers that clients send (token counts, costs). Each count may be as large as an int64
// holds (docs/api.md#limits), so a sum of two can pass it: sums saturate at the largest int64
// instead of overflowing, and a read of such a sum still answers.
#pragma once

#include <cstdint>
#include <limits>

namespace vigil {

inline constexpr int64_t kMaxSum = std::numeric_limits<int64_t>::max();

// a + b, or the int64 bound on the side it would have passed.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? kMaxSum : std::numeric_limits<int64_t>::min();
}

}  // namespace vigil
