#include <algorithm>
#include <limits>

#include "detectors/detectors.h"

namespace vigil {

void SortEventsForDetection(std::vector<Event>* events) {
  // Stable on (sequence, arrival): equal keys keep the caller's order, so the result never depends
  // on the sort implementation.
  std::stable_sort(events->begin(), events->end(), [](const Event& a, const Event& b) {
    if (a.sequence != b.sequence) return a.sequence < b.sequence;
    return a.arrival < b.arrival;
  });
}

HistoryWindow HistoryWindowFor(const Policy& policy, int64_t now_ms) {
  constexpr int64_t kDayMs = 24LL * 60 * 60 * 1000;
  // history.days is validated to 1..90, but a raw Policy may hold anything: clamp so the
  // multiplication cannot overflow.
  const int64_t days = std::clamp<int64_t>(policy.history.days, 0, 36500);
  return {now_ms - days * kDayMs, now_ms, policy.history.max_messages};
}

}  // namespace vigil
