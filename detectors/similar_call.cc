#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detectors/detector_util.h"
#include "detectors/loop_context.h"
#include "detectors/trigrams.h"
#include "domain/hash.h"

namespace vigil {
namespace {

// Comparing every message with every other is quadratic. An execution with this many LLM calls is
// already far beyond every step threshold, so only its first kMaxMessages messages are compared:
// at most ~2 M pair comparisons, while the final pass runs inside the terminal PATCH.
constexpr size_t kMaxMessages = 2000;

// One llm_call with a non-empty message, and what the context-aware rule compares besides it.
struct Call {
  const std::string* message;
  TrigramBag bag;
  CallIdentity identity;
  uint64_t actions = 0;                    // the tool calls made after it, in order (see ActionsOf)
  const std::string* response;             // nullptr when the call has none
  std::optional<TrigramBag> response_bag;  // built on first use
};

// Mixes the keys of the tool calls that follow each llm_call (up to the next one) into one number
// per call: equal numbers mean the agent did the same thing next. Indexed like CallIdentities.
std::vector<uint64_t> ActionsOf(const std::vector<Event>& events) {
  std::vector<uint64_t> actions;
  for (const Event& event : events) {
    if (event.type == EventType::kLlmCall) {
      actions.push_back(0);
    } else if (event.type == EventType::kToolCall && !actions.empty()) {
      const uint64_t key = event.fields.tool_call_hash.value_or(0);
      actions.back() = (actions.back() ^ (key + 1)) * 0x100000001b3ull;  // FNV-1a style step
    }
  }
  return actions;
}

std::vector<Call> CallsOf(const std::vector<Event>& events, bool context_aware) {
  std::vector<CallIdentity> identities;
  std::vector<uint64_t> actions;
  if (context_aware) {
    identities = CallIdentities(events, true);
    actions = ActionsOf(events);
  }
  std::vector<Call> calls;
  size_t position = 0;  // index among all llm_calls, as in `identities`
  for (const Event& event : events) {
    if (calls.size() == kMaxMessages) break;
    if (event.type != EventType::kLlmCall) continue;
    const size_t at = position++;
    const std::optional<std::string>& message = event.fields.user_message;
    if (!message || message->empty()) continue;
    Call call{&*message, Trigrams(*message), {}, 0, nullptr, std::nullopt};
    if (context_aware && at < identities.size()) {
      call.identity = identities[at];
      call.actions = actions[at];
      if (event.fields.response_text) call.response = &*event.fields.response_text;
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

// Two responses are alike when either call has none (a failed call answers nothing), when they are
// equal, or when they are as close as the messages must be.
bool ResponsesAlike(Call& a, Call& b, double max_distance) {
  if (!a.response || !b.response || *a.response == *b.response) return true;
  if (!a.response_bag) a.response_bag = Trigrams(*a.response);
  if (!b.response_bag) b.response_bag = Trigrams(*b.response);
  return CosineDistance(*a.response_bag, *b.response_bag) < max_distance;
}

// Context-aware neighbours: the same message counts only as a repeat of the same request (the
// rule of identical-call), so a multi-step run that keeps its last user message is not a loop; a
// near-identical message counts only when the agent then did the same thing (the same tool calls,
// an alike response), so observations sharing a long footer or template are not a loop either.
bool ContextNeighbours(Call& a, Call& b, double max_distance) {
  if (*a.message == *b.message) return a.identity.Identity() == b.identity.Identity();
  return CosineDistance(a.bag, b.bag) < max_distance && a.actions == b.actions &&
         ResponsesAlike(a, b, max_distance);
}

}  // namespace

std::optional<Finding> DetectSimilarCall(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.similar_call.enabled) return std::nullopt;
  const int64_t min_cluster = policy.similar_call.min_cluster;
  const double max_distance = policy.similar_call.max_distance;
  const bool context_aware = policy.similar_call.context_aware;

  std::vector<Call> calls = CallsOf(snapshot.events, context_aware);
  if (static_cast<int64_t>(calls.size()) < min_cluster) return std::nullopt;

  // Each pair is compared at most once: message j looks up what message i < j already learned.
  const size_t n = calls.size();
  std::vector<int8_t> close(n * n, -1);  // -1 unknown, 0 far, 1 close; at most 4 MB
  const auto is_close = [&](size_t i, size_t j) {
    int8_t& cached = close[std::min(i, j) * n + std::max(i, j)];
    if (cached < 0) {
      const bool near = context_aware ? ContextNeighbours(calls[i], calls[j], max_distance)
                                      : CosineDistance(calls[i].bag, calls[j].bag) < max_distance;
      cached = near ? 1 : 0;
    }
    return cached == 1;
  };
  for (size_t i = 0; i < n; ++i) {
    if (calls[i].bag.empty()) continue;
    int64_t neighbours = 1;  // the message itself
    for (size_t j = 0; j < n && neighbours < min_cluster; ++j) {
      if (j == i || calls[j].bag.empty()) continue;
      if (is_close(i, j)) ++neighbours;
    }
    if (neighbours >= min_cluster) {
      std::string joined;
      for (const std::string& trigram : TopTrigrams(calls[i].bag, 16)) joined += trigram;
      return MakeFinding(snapshot, kSimilarCall, "similar_call_" + Sha256Hex(joined).substr(0, 8));
    }
  }
  return std::nullopt;
}

}  // namespace vigil
