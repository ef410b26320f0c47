// Typed values that travel on the wire and sit in the database as text: a project's tier, who an
// audit row is by, a webhook delivery's state, a failure group's state. Inside the server they are
// enums; their spellings (the wire's and the column's, always the same) appear only in the codec
// and in storage, through the Name and Parse functions below. Parse answers nullopt for a spelling
// it does not know.
#pragma once

#include <optional>
#include <string_view>

namespace vigil {

// An execution's state (docs/protocol.md#execution-fields). Every status but `started` is
// terminal: the run has ended, how it ended is the status.
enum class ExecutionStatus { kStarted, kCompleted, kCrashed, kHalted, kTimeout, kValidationFailed };
std::string_view ExecutionStatusName(ExecutionStatus status);
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name);
inline bool IsTerminal(ExecutionStatus status) { return status != ExecutionStatus::kStarted; }

// Where a failure group is in its lifecycle (docs/detection.md#group-lifecycle): created open; a
// person resolves, mutes or reopens it; a resolved group that recurs opens again.
enum class GroupState { kOpen, kResolved, kMuted };
std::string_view GroupStateName(GroupState state);
std::optional<GroupState> ParseGroupState(std::string_view name);

// The event types the protocol gives a meaning (docs/protocol.md#event-types-and-payloads). Any
// other type is accepted and kept as its string; its EventType is kOther.
enum class EventType {
  kLlmCall,
  kToolCall,
  kCheckpoint,
  kValidatorResult,
  kException,
  kDriftSignal,
  kInjectionAlert,
  kOther,
};
// kOther has no spelling of its own: its name is "" (the event keeps the one it was sent with).
std::string_view EventTypeName(EventType type);
EventType EventTypeOf(std::string_view name);

// A project's plan (docs/api.md#tiers-and-usage).
enum class Tier { kHobby, kPro, kEnterprise };
std::string_view TierName(Tier tier);
std::optional<Tier> ParseTier(std::string_view name);

// Who caused an audit row (docs/api.md#audit-log): a project's API key, the signup route, the
// command line, the operator's admin token, the server itself, or Stripe's webhook.
enum class Actor { kKey, kSignup, kCli, kAdmin, kSystem, kStripe };
std::string_view ActorName(Actor actor);
std::optional<Actor> ParseActor(std::string_view name);

// Where one webhook delivery attempt stands (docs/api.md#delivery-and-retries).
enum class DeliveryStatus { kDelivered, kFailed, kPending };
std::string_view DeliveryStatusName(DeliveryStatus status);
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name);

}  // namespace vigil
