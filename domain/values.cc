#include "domain/values.h"

#include <array>

namespace vigil {
namespace {

// The spellings of an enum's values, indexed by the value.
template <typename E, size_t N>
std::string_view NameIn(const std::array<std::string_view, N>& names, E value) {
  return names[static_cast<size_t>(value)];
}

template <typename E, size_t N>
std::optional<E> ParseIn(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 6> kExecutionStatusNames = {
    "started", "completed", "crashed", "halted", "timeout", "validation_failed"};
constexpr std::array<std::string_view, 8> kEventTypeNames = {
    "llm_call",  "tool_call",    "checkpoint",      "validator_result",
    "exception", "drift_signal", "injection_alert", ""};
constexpr std::array<std::string_view, 3> kTierNames = {"hobby", "pro", "enterprise"};
constexpr std::array<std::string_view, 6> kActorNames = {"key",   "signup", "cli",
                                                         "admin", "system", "stripe"};
constexpr std::array<std::string_view, 3> kDeliveryStatusNames = {"delivered", "failed", "pending"};
constexpr std::array<std::string_view, 3> kGroupStateNames = {"open", "resolved", "muted"};

}  // namespace

std::string_view ExecutionStatusName(ExecutionStatus status) {
  return NameIn(kExecutionStatusNames, status);
}
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  return ParseIn<ExecutionStatus>(kExecutionStatusNames, name);
}

std::string_view EventTypeName(EventType type) { return NameIn(kEventTypeNames, type); }
EventType EventTypeOf(std::string_view name) {
  if (name.empty()) return EventType::kOther;
  return ParseIn<EventType>(kEventTypeNames, name).value_or(EventType::kOther);
}

std::string_view TierName(Tier tier) { return NameIn(kTierNames, tier); }
std::optional<Tier> ParseTier(std::string_view name) { return ParseIn<Tier>(kTierNames, name); }

std::string_view ActorName(Actor actor) { return NameIn(kActorNames, actor); }
std::optional<Actor> ParseActor(std::string_view name) { return ParseIn<Actor>(kActorNames, name); }

std::string_view DeliveryStatusName(DeliveryStatus status) {
  return NameIn(kDeliveryStatusNames, status);
}
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name) {
  return ParseIn<DeliveryStatus>(kDeliveryStatusNames, name);
}

std::string_view GroupStateName(GroupState state) { return NameIn(kGroupStateNames, state); }
std::optional<GroupState> ParseGroupState(std::string_view name) {
  return ParseIn<GroupState>(kGroupStateNames, name);
}

}  // namespace vigil
