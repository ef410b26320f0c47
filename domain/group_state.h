// Where a failure group is in its lifecycle (docs/detection.md#group-lifecycle), and the one word
// for each state that both the API and the database's `state` column use.
#pragma once

#include <optional>
#include <string_view>

namespace vigil {

// A group is created open; a person resolves, mutes or reopens it; a resolved group that recurs
// opens again.
enum class GroupState { kOpen, kResolved, kMuted };

// "open", "resolved" or "muted".
inline std::string_view GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kResolved:
      return "resolved";
    case GroupState::kMuted:
      return "muted";
    case GroupState::kOpen:
      break;
  }
  return "open";
}

// The state `word` names; nullopt when it names none.
inline std::optional<GroupState> ParseGroupState(std::string_view word) {
  for (GroupState s : {GroupState::kOpen, GroupState::kResolved, GroupState::kMuted}) {
    if (GroupStateName(s) == word) return s;
  }
  return std::nullopt;
}

}  // namespace vigil
