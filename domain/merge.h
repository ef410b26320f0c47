// The merge rule of docs/protocol.md#the-merge-rule: the single place that decides how a write
// changes an execution, so every path (POST, PATCH, implicit creation by events) converges on the
// same stored state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/model.h"

namespace vigil {

// Fields a client sent in POST /executions or PATCH /executions/{id}. Zero and empty mean "not
// provided" (docs/api.md#json-bodies); `budget` is replaced as a whole when present.
struct ExecutionPatch {
  std::string execution_id;
  std::string parent_execution_id;
  std::string name;
  std::optional<ExecutionStatus> status;
  int64_t started_at_ms = 0;
  int64_t ended_at_ms = 0;
  int64_t duration_ms = 0;
  int64_t total_tokens_in = 0;
  int64_t total_tokens_out = 0;
  double estimated_cost_usd = 0;
  std::string input_summary;
  std::string output_summary;
  std::string crash_signature;
  std::string sdk_version;
  std::string sdk_language;
  std::optional<Budget> budget;
  // Kept only when the merged status is terminal: on a running execution halt_reason is a pending
  // halt, which only the server's halt request sets.
  std::string halt_reason;
  std::string code_version;
  std::string container_digest;
};

// Returns the execution after applying `patch` to `stored` (nullopt = creating it).
// `default_started_at_ms` is used on creation when the patch has no started_at (the earliest event
// timestamp for implicit creation, else the receive time); `now_ms` fills ended_at when the result
// is terminal and none is stored or given. Pure.
Execution MergeExecution(const std::optional<Execution>& stored, const ExecutionPatch& patch,
                         int64_t default_started_at_ms, int64_t now_ms);

}  // namespace vigil
