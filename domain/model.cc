#include "domain/model.h"

#include <string_view>
#include <unordered_set>

namespace vigil {

size_t RemoveRepeatedEventIds(std::vector<Event>* events) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(events->size());
  std::vector<bool> repeated(events->size(), false);
  size_t removed = 0;
  for (size_t i = 0; i < events->size(); ++i) {
    if (!seen.insert((*events)[i].event_id).second) {
      repeated[i] = true;
      ++removed;
    }
  }
  if (removed == 0) return 0;
  std::vector<Event> kept;
  kept.reserve(events->size() - removed);
  for (size_t i = 0; i < events->size(); ++i) {
    if (!repeated[i]) kept.push_back(std::move((*events)[i]));
  }
  events->swap(kept);
  return removed;
}

}  // namespace vigil
