#include <algorithm>
#include <string_view>
#include <vector>

#include "detectors/buckets.h"
#include "detectors/detector_util.h"
#include "detectors/trigrams.h"

namespace vigil {

std::optional<Finding> DetectLexicalDrift(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.lexical_drift.enabled) return std::nullopt;

  // One combined bag per side: each message adds its own trigrams (no trigram spans two messages).
  std::vector<std::string_view> current;
  for (const Event& event : snapshot.events) {
    if (event.type != EventType::kLlmCall) continue;
    const std::optional<std::string>& message = event.fields.user_message;
    if (message && !message->empty()) current.push_back(*message);
  }
  if (current.empty()) return std::nullopt;

  // The caller already windows the history; the cap is applied again so a caller that passes more
  // cannot change the result.
  const auto cap = static_cast<size_t>(std::max<int64_t>(0, policy.history.max_messages));
  std::vector<std::string_view> historical;
  for (const std::string& message : snapshot.history.user_messages) {
    if (historical.size() == cap) break;
    if (!message.empty()) historical.push_back(message);
  }
  // Too little history makes any execution look foreign; wait until the project has a baseline.
  const auto history_size = static_cast<int64_t>(historical.size());
  if (history_size == 0 || history_size < policy.lexical_drift.min_history) return std::nullopt;

  const TrigramBag current_bag = CombinedTrigrams(current);
  const TrigramBag historical_bag = CombinedTrigrams(historical);
  if (current_bag.empty() || historical_bag.empty()) return std::nullopt;

  const double distance = CosineDistance(current_bag, historical_bag);
  if (distance < policy.lexical_drift.min_distance) return std::nullopt;
  return MakeFinding(snapshot, kLexicalDrift, std::string(LexicalBucket(distance)));
}

}  // namespace vigil
