#include "storage/event_id_levels.h"

#include <algorithm>

namespace vigil {

void EventIdLevels::MaybeSeal() {
  if (pending_.sealed_ids > 0) return;
  if (pending_.current_ids < static_cast<int64_t>(part_ids_)) return;
  pending_.sealed_ids = pending_.current_ids;
  pending_.current_ids = 0;
  pending_.current_part = 1 - pending_.current_part;
}

size_t EventIdLevels::MoveBudget(size_t group_ids) const {
  if (pending_.sealed_ids <= 0) return 0;
  const size_t left = static_cast<size_t>(pending_.sealed_ids);
  const size_t by = part_ids_ * kMoveByPercent / 100;
  const size_t filled = static_cast<size_t>(std::max<int64_t>(0, pending_.current_ids));
  // The ids still to come before the current part is `by` full, this group's included.
  const size_t room = (filled < by ? by - filled : 0) + std::max<size_t>(1, group_ids);
  const size_t paced = (left * group_ids + room - 1) / room;
  const size_t most = kMinMove + kMaxMovePerGroupId * group_ids;
  return std::min(left, std::clamp(paced, kMinMove, most));
}

void EventIdLevels::Moved(int64_t ids, bool emptied) {
  pending_.sealed_ids = emptied ? 0 : std::max<int64_t>(1, pending_.sealed_ids - ids);
}

}  // namespace vigil
