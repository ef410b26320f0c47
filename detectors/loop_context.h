// What the loop detectors share about a call's context: when two llm_calls count as the same
// request. Internal to detectors/.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/model.h"

namespace vigil {

// The repeat identity of one llm_call: two calls are repeats exactly when their identities are
// equal.
struct CallIdentity {
  // 1: `value` is the call's context digest; 0: `value` is its identical-call key and, when
  // context-aware, the context epoch it was made in (key << 32 | epoch); 2 (context-aware, a call
  // with neither a digest nor a user message): `value` is its position, so it repeats nothing.
  uint8_t kind = 0;
  uint64_t value = 0;
  uint32_t key = 0;       // IdenticalCallHash of the call: what its finding is signed with
  uint32_t position = 0;  // index among the execution's llm_calls

  // Equal exactly for repeats.
  std::pair<uint8_t, uint64_t> Identity() const { return {kind, value}; }
};

// The identity of every llm_call of `events`, in event order (at most UINT32_MAX of them).
//
// Context-aware: a call that carries a context digest is identified by it, since the digest covers
// its whole request. A call without one is identified by its identical-call key and the context
// epoch it was made in; the epoch advances at every tool_call (a tool result joined the context),
// after every call that asked for tools (whose results come next, whether or not the client
// records them as tool_call events), and after every response that differs from the response
// before it, so the same message asked again after anything that changed the context is not a
// repeat. Failed calls change nothing: a retry of a failing call is the loop to catch. A call with
// neither a digest nor a user message (an OpenTelemetry span recorded without its content) is a
// repeat of nothing: that every such call looks alike says nothing about what was asked.
//
// Otherwise (Mesedi's rule) the identity is the identical-call key alone.
std::vector<CallIdentity> CallIdentities(const std::vector<Event>& events, bool context_aware);

// The loop identical-call reports: among `calls` (T has `position` and `Identity()`, equal
// exactly for repeats), the first call of the identity whose `need`-th repeat comes first in event
// order; nullptr when no identity repeats `need` times. Sorting by (identity, position) finds it
// with no allocation beyond `calls`: the live pass runs this after every batch, over the whole
// execution. Reorders `calls`.
template <typename T>
const T* EarliestRepeat(std::vector<T>* calls, size_t need) {
  std::vector<T>& sorted = *calls;
  std::sort(sorted.begin(), sorted.end(), [](const T& a, const T& b) {
    return a.Identity() != b.Identity() ? a.Identity() < b.Identity() : a.position < b.position;
  });
  const T* winner = nullptr;
  for (size_t i = 0; i + need <= sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j].Identity() == sorted[i].Identity()) ++j;
    if (j - i >= need && (!winner || sorted[i + need - 1].position < winner[need - 1].position)) {
      winner = &sorted[i];
    }
    i = j;
  }
  return winner;
}

// `prefix` and the 8 lower-case hex digits of `key`: how the loop detectors sign their findings.
std::string LoopSignature(std::string_view prefix, uint32_t key);

// IdenticalCallHash of an llm_call, from its precomputed hash when the codec set one.
uint32_t IdenticalCallHashOf(const Event& event);

}  // namespace vigil
