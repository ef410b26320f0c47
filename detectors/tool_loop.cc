#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "detectors/detector_util.h"
#include "detectors/loop_context.h"

namespace vigil {
namespace {

// One tool call that carries a result: what it repeats, and where.
struct ToolRepeat {
  uint32_t key;     // ToolCallHash: tool and arguments
  uint64_t result;  // ToolResultDigest: status and result
  uint32_t position;

  // Equal exactly for repeats: the same call and the same result.
  std::pair<uint32_t, uint64_t> Identity() const { return {key, result}; }
};

}  // namespace

std::optional<Finding> DetectToolLoop(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.tool_loop.enabled) return std::nullopt;
  // The same tool, the same arguments and the same result, min_repeats times: whatever the model
  // calls in between, it learns nothing new from the tool. The context grows at every step, so
  // identical-call does not see these loops; a result that changes (a counter, a page) is progress
  // here, and similar-call's business.
  std::vector<ToolRepeat> calls;
  for (const Event& event : snapshot.events) {
    if (event.type != EventType::kToolCall) continue;
    const PayloadFields& f = event.fields;
    if (!f.tool_call_hash || !f.tool_result_digest) continue;
    if (calls.size() == UINT32_MAX) break;
    calls.push_back(
        {*f.tool_call_hash, *f.tool_result_digest, static_cast<uint32_t>(calls.size())});
  }
  const auto need = static_cast<size_t>(std::max<int64_t>(1, policy.identical_call.min_repeats));
  const ToolRepeat* winner = EarliestRepeat(&calls, need);
  if (!winner) return std::nullopt;
  return MakeFinding(snapshot, kToolLoop, LoopSignature("tool_loop_", winner->key));
}

}  // namespace vigil
