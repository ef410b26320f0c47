#include <unordered_map>

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
  std::unordered_map<std::string, int64_t> seen;
  for (const Event& event : snapshot.events) {
    if (event.event_type != kLlmCall) continue;
    // Failed calls count: an agent retrying the same failing request is exactly the loop we want.
    const std::string key =
        !event.fields.identical_call_key.empty()
            ? event.fields.identical_call_key
            : IdenticalCallKey(event.fields.model.value_or(""),
                               event.fields.user_message.value_or(""));
    if (++seen[key] >= policy.identical_call.min_repeats) {
      return MakeFinding(snapshot, kIdenticalCall, "identical_call_" + key);
    }
  }
  return std::nullopt;
}

}  // namespace vigil
