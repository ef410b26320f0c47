#include <algorithm>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>

#include "detectors/detector_util.h"
#include "detectors/loop_context.h"

namespace vigil {
namespace {

// What the scan knows of one tool call identity (tool, arguments, result).
struct Streak {
  uint64_t epoch = 0;  // the count of new identities when it was last seen
  int64_t repeats = 0;
};

struct IdentityHash {
  size_t operator()(const std::pair<uint32_t, uint64_t>& id) const {
    return std::hash<uint64_t>()(id.second ^ (static_cast<uint64_t>(id.first) << 17));
  }
};

}  // namespace

std::optional<Finding> DetectToolLoop(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.tool_loop.enabled) return std::nullopt;
  // The same tool, the same arguments and the same result, min_repeats times in a row: whatever
  // the model calls in between, it learns nothing new from the tools. "In a row" is in what the
  // tools answer: a call with an identity not seen before in the execution (an edit, a new file
  // read) is progress and restarts every streak, so an agent that runs the same failing test
  // between edits is working, while one that resubmits the same wrong answer is looping. The
  // context grows at every step, so identical-call does not see these loops; a result that changes
  // (a counter, a page) is progress here, and similar-call's business.
  const auto need = std::max<int64_t>(1, policy.identical_call.min_repeats);
  std::unordered_map<std::pair<uint32_t, uint64_t>, Streak, IdentityHash> streaks;
  uint64_t epoch = 0;
  for (const Event& event : snapshot.events) {
    if (event.type != EventType::kToolCall) continue;
    const PayloadFields& f = event.fields;
    if (!f.tool_call_hash || !f.tool_result_digest) continue;
    auto [it, inserted] = streaks.try_emplace({*f.tool_call_hash, *f.tool_result_digest});
    Streak& streak = it->second;
    if (inserted) {
      ++epoch;
      streak.repeats = 1;
    } else {
      streak.repeats = streak.epoch == epoch ? streak.repeats + 1 : 1;
    }
    streak.epoch = epoch;
    if (streak.repeats >= need) {
      return MakeFinding(snapshot, kToolLoop, LoopSignature("tool_loop_", *f.tool_call_hash));
    }
  }
  return std::nullopt;
}

}  // namespace vigil
