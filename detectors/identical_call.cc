#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "detectors/detector_util.h"
#include "domain/hash.h"

namespace vigil {
namespace {

uint32_t HashOf(const Event& event) {
  return event.fields.identical_call_hash
             ? *event.fields.identical_call_hash
             : IdenticalCallHash(event.fields.model.value_or(""),
                                 event.fields.user_message.value_or(""));
}

}  // namespace

uint32_t IdenticalCallHash(std::string_view model, std::string_view user_message) {
  return Sha256First32({model, std::string_view("\0", 1), user_message});
}

std::string IdenticalCallKey(std::string_view model, std::string_view user_message) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, IdenticalCallHash(model, user_message));
  return hex;
}

std::optional<Finding> DetectIdenticalCall(const ExecutionSnapshot& snapshot,
                                           const Policy& policy) {
  if (!policy.identical_call.enabled) return std::nullopt;
  // The winner is the key whose min_repeats-th occurrence comes first in event order. Sorting
  // (key, position) pairs, packed into one integer each, finds it with one allocation and no
  // string compares: the live pass runs this after every batch, over the whole execution.
  std::vector<uint64_t> calls;  // key << 32 | position
  uint64_t position = 0;
  for (const Event& event : snapshot.events) {
    if (event.event_type != kLlmCall) continue;
    if (position > UINT32_MAX) break;  // positions have 32 bits (never near, in practice)
    // Failed calls count: an agent retrying the same failing request is exactly the loop we want.
    calls.push_back(uint64_t{HashOf(event)} << 32 | position++);
  }
  const auto need = static_cast<size_t>(std::max<int64_t>(1, policy.identical_call.min_repeats));
  if (calls.size() < need) return std::nullopt;
  std::sort(calls.begin(), calls.end());  // by key, then position
  const auto key = [&](size_t i) { return static_cast<uint32_t>(calls[i] >> 32); };
  const auto at = [&](size_t i) { return static_cast<uint32_t>(calls[i]); };
  std::optional<uint32_t> winner;
  uint32_t winner_at = 0;
  for (size_t i = 0; i + need <= calls.size();) {
    size_t j = i;
    while (j < calls.size() && key(j) == key(i)) ++j;
    if (j - i >= need && (!winner || at(i + need - 1) < winner_at)) {
      winner = key(i);
      winner_at = at(i + need - 1);
    }
    i = j;
  }
  if (!winner) return std::nullopt;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, *winner);
  return MakeFinding(snapshot, kIdenticalCall, std::string("identical_call_") + hex);
}

}  // namespace vigil
