#include <algorithm>
#include <cstdint>
#include <vector>

#include "detectors/detector_util.h"
#include "detectors/trigrams.h"
#include "domain/hash.h"

namespace vigil {
namespace {

// Comparing every message with every other is quadratic. An execution with this many LLM calls is
// already far beyond every step threshold, so only its first kMaxMessages messages are compared:
// at most ~2 M pair comparisons, while the final pass runs inside the terminal PATCH.
constexpr size_t kMaxMessages = 2000;

}  // namespace

std::optional<Finding> DetectSimilarCall(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.similar_call.enabled) return std::nullopt;
  const int64_t min_cluster = policy.similar_call.min_cluster;
  const double max_distance = policy.similar_call.max_distance;

  std::vector<TrigramBag> bags;
  for (const Event& event : snapshot.events) {
    if (bags.size() == kMaxMessages) break;
    if (event.event_type != kLlmCall) continue;
    const std::optional<std::string>& message = event.fields.user_message;
    if (message && !message->empty()) bags.push_back(Trigrams(*message));
  }
  if (static_cast<int64_t>(bags.size()) < min_cluster) return std::nullopt;

  // Each pair is compared at most once: message j looks up what message i < j already learned.
  const size_t n = bags.size();
  std::vector<int8_t> close(n * n, -1);  // -1 unknown, 0 far, 1 close; at most 4 MB
  const auto is_close = [&](size_t i, size_t j) {
    int8_t& cached = close[std::min(i, j) * n + std::max(i, j)];
    if (cached < 0) cached = CosineDistance(bags[i], bags[j]) < max_distance ? 1 : 0;
    return cached == 1;
  };
  for (size_t i = 0; i < n; ++i) {
    if (bags[i].empty()) continue;
    int64_t neighbours = 1;  // the message itself
    for (size_t j = 0; j < n && neighbours < min_cluster; ++j) {
      if (j == i || bags[j].empty()) continue;
      if (is_close(i, j)) ++neighbours;
    }
    if (neighbours >= min_cluster) {
      std::string joined;
      for (const std::string& trigram : TopTrigrams(bags[i], 16)) joined += trigram;
      return MakeFinding(snapshot, kSimilarCall, "similar_call_" + Sha256Hex(joined).substr(0, 8));
    }
  }
  return std::nullopt;
}

}  // namespace vigil
