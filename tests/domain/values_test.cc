// The typed values' spellings are the wire's and the stored columns'; a change here is a
// protocol change (docs/api.md), so each spelling is pinned.
#include "domain/values.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

TEST_CASE("Every typed value's spelling parses back to the value; unknown spellings do not") {
  for (Tier t : {Tier::kHobby, Tier::kPro, Tier::kEnterprise}) {
    CHECK(ParseTier(TierName(t)) == t);
  }
  for (Actor a :
       {Actor::kKey, Actor::kSignup, Actor::kCli, Actor::kAdmin, Actor::kSystem, Actor::kStripe}) {
    CHECK(ParseActor(ActorName(a)) == a);
  }
  for (DeliveryStatus d :
       {DeliveryStatus::kDelivered, DeliveryStatus::kFailed, DeliveryStatus::kPending}) {
    CHECK(ParseDeliveryStatus(DeliveryStatusName(d)) == d);
  }
  for (GroupState g : {GroupState::kOpen, GroupState::kResolved, GroupState::kMuted}) {
    CHECK(ParseGroupState(GroupStateName(g)) == g);
  }
  CHECK_FALSE(ParseGroupState("all").has_value());  // a list filter, not a state
  CHECK_FALSE(ParseTier("team").has_value());
  CHECK_FALSE(ParseTier("Pro").has_value());  // spellings are exact; callers normalise first
  CHECK_FALSE(ParseActor("").has_value());
  CHECK_FALSE(ParseDeliveryStatus("retrying").has_value());
}

TEST_CASE(
    "Known event types are typed; any other type is kOther and keeps no spelling of its own") {
  for (EventType t : {EventType::kLlmCall, EventType::kToolCall, EventType::kCheckpoint,
                      EventType::kValidatorResult, EventType::kException, EventType::kDriftSignal,
                      EventType::kInjectionAlert}) {
    CHECK(EventTypeOf(EventTypeName(t)) == t);
  }
  CHECK(EventTypeName(EventType::kLlmCall) == "llm_call");
  CHECK(EventTypeName(EventType::kValidatorResult) == "validator_result");
  CHECK(EventTypeOf("step") == EventType::kOther);
  CHECK(EventTypeOf("LLM_CALL") == EventType::kOther);  // types are exact, as stored
  CHECK(EventTypeOf("") == EventType::kOther);
  CHECK(EventTypeName(EventType::kOther).empty());
}

TEST_CASE("The spellings are the documented wire values") {
  CHECK(TierName(Tier::kHobby) == "hobby");
  CHECK(TierName(Tier::kPro) == "pro");
  CHECK(TierName(Tier::kEnterprise) == "enterprise");
  CHECK(ActorName(Actor::kKey) == "key");
  CHECK(ActorName(Actor::kSignup) == "signup");
  CHECK(ActorName(Actor::kCli) == "cli");
  CHECK(ActorName(Actor::kAdmin) == "admin");
  CHECK(ActorName(Actor::kSystem) == "system");
  CHECK(ActorName(Actor::kStripe) == "stripe");
  CHECK(DeliveryStatusName(DeliveryStatus::kDelivered) == "delivered");
  CHECK(DeliveryStatusName(DeliveryStatus::kFailed) == "failed");
  CHECK(DeliveryStatusName(DeliveryStatus::kPending) == "pending");
  CHECK(GroupStateName(GroupState::kOpen) == "open");
  CHECK(GroupStateName(GroupState::kResolved) == "resolved");
  CHECK(GroupStateName(GroupState::kMuted) == "muted");
}

}  // namespace
}  // namespace vigil
