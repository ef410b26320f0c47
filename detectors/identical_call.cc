#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "detectors/detector_util.h"
#include "detectors/loop_context.h"
#include "domain/hash.h"

namespace vigil {

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
  // Failed calls count: an agent retrying the same failing request is exactly the loop we want.
  std::vector<CallIdentity> calls =
      CallIdentities(snapshot.events, policy.identical_call.context_aware);
  const auto need = static_cast<size_t>(std::max<int64_t>(1, policy.identical_call.min_repeats));
  const CallIdentity* winner = EarliestRepeat(&calls, need);
  if (!winner) return std::nullopt;
  // Equal identities have equal keys (a context digest covers the model and the message), so the
  // signature names the loop's model and message whichever rule found it.
  return MakeFinding(snapshot, kIdenticalCall, LoopSignature("identical_call_", winner->key));
}

}  // namespace vigil
