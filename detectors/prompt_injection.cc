#include <string_view>
#include <unordered_set>

#include "detectors/detector_util.h"
#include "detectors/injection_normalize.h"
#include "detectors/injection_patterns.h"

namespace vigil {

std::optional<Finding> DetectPromptInjection(const ExecutionSnapshot& snapshot,
                                             const Policy& policy) {
  if (!policy.prompt_injection.enabled) return std::nullopt;
  // Agents resend the same (often long) system prompt with every call; a text already found clean
  // stays clean, so each distinct text is normalised and scanned once.
  std::unordered_set<std::string_view> clean;
  const auto scan =
      [&](const std::optional<std::string>& field) -> std::optional<std::string_view> {
    if (!field || field->empty() || clean.count(*field) != 0) return std::nullopt;
    std::optional<std::string_view> signature =
        MatchInjectionPattern(NormalizeForInjection(*field));
    if (!signature) clean.insert(*field);
    return signature;
  };
  for (const Event& event : snapshot.events) {
    if (event.event_type != kLlmCall) continue;
    std::optional<std::string_view> signature = scan(event.fields.user_message);
    if (!signature) signature = scan(event.fields.system_prompt);
    if (signature) return MakeFinding(snapshot, kPromptInjection, std::string(*signature));
  }
  return std::nullopt;
}

}  // namespace vigil
