#include <algorithm>
#include <utility>
#include <vector>

#include "detectors/detector_util.h"
#include "domain/hash.h"

namespace vigil {

std::string IdenticalCallKey(std::string_view model, std::string_view user_message) {
  std::string data;
  data.reserve(model.size() + 1 + user_message.size());
  data.append(model).push_back('\0');
  data.append(user_message);
  return Sha256Hex(data).substr(0, 8);
}

std::optional<Finding> DetectIdenticalCall(const ExecutionSnapshot& snapshot,
                                           const Policy& policy) {
  if (!policy.identical_call.enabled) return std::nullopt;
  // The winner is the key whose min_repeats-th occurrence comes first in event order. Sorting
  // (key, position) pairs finds it with one allocation; the live pass runs this after every
  // batch, so a hash map with a node per key would dominate its cost.
  std::vector<std::pair<std::string, size_t>> calls;
  size_t position = 0;
  for (const Event& event : snapshot.events) {
    if (event.event_type != kLlmCall) continue;
    // Failed calls count: an agent retrying the same failing request is exactly the loop we want.
    calls.emplace_back(!event.fields.identical_call_key.empty()
                           ? event.fields.identical_call_key
                           : IdenticalCallKey(event.fields.model.value_or(""),
                                              event.fields.user_message.value_or("")),
                       position++);
  }
  const auto need = static_cast<size_t>(std::max<int64_t>(1, policy.identical_call.min_repeats));
  if (calls.size() < need) return std::nullopt;
  std::sort(calls.begin(), calls.end());  // by key, then position
  const std::string* winner = nullptr;
  size_t winner_at = 0;
  for (size_t i = 0; i + need <= calls.size();) {
    size_t j = i;
    while (j < calls.size() && calls[j].first == calls[i].first) ++j;
    if (j - i >= need && (winner == nullptr || calls[i + need - 1].second < winner_at)) {
      winner = &calls[i].first;
      winner_at = calls[i + need - 1].second;
    }
    i = j;
  }
  if (winner == nullptr) return std::nullopt;
  return MakeFinding(snapshot, kIdenticalCall, "identical_call_" + *winner);
}

}  // namespace vigil
