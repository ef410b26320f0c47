#include "domain/merge.h"

namespace vigil {
namespace {

void MergeString(std::string* stored, const std::string& sent) {
  if (!sent.empty()) *stored = sent;
}
template <typename T>
void MergeNumber(T* stored, T sent) {
  if (sent != 0) *stored = sent;
}

}  // namespace

Execution MergeExecution(const std::optional<Execution>& stored, const ExecutionPatch& patch,
                         int64_t default_started_at_ms, int64_t now_ms) {
  Execution e;
  if (stored) {
    e = *stored;
  } else {
    e.execution_id = patch.execution_id;
    e.status = ExecutionStatus::kStarted;
    e.started_at_ms = default_started_at_ms;
  }
  MergeString(&e.parent_execution_id, patch.parent_execution_id);
  MergeString(&e.name, patch.name);
  // A terminal status replaces any status; `started` never replaces a terminal one.
  if (patch.status && (IsTerminal(*patch.status) || !IsTerminal(e.status))) {
    e.status = *patch.status;
  }
  MergeNumber(&e.started_at_ms, patch.started_at_ms);
  MergeNumber(&e.ended_at_ms, patch.ended_at_ms);
  MergeNumber(&e.duration_ms, patch.duration_ms);
  MergeNumber(&e.total_tokens_in, patch.total_tokens_in);
  MergeNumber(&e.total_tokens_out, patch.total_tokens_out);
  MergeNumber(&e.estimated_cost_usd, patch.estimated_cost_usd);
  MergeString(&e.input_summary, patch.input_summary);
  MergeString(&e.output_summary, patch.output_summary);
  MergeString(&e.crash_signature, patch.crash_signature);
  MergeString(&e.sdk_version, patch.sdk_version);
  MergeString(&e.sdk_language, patch.sdk_language);
  if (patch.budget) e.budget = patch.budget;
  MergeString(&e.code_version, patch.code_version);
  MergeString(&e.container_digest, patch.container_digest);
  if (IsTerminal(e.status)) MergeString(&e.halt_reason, patch.halt_reason);
  // The server-clock default is set once: a re-sent PATCH must not move a stored ended_at.
  if (IsTerminal(e.status) && e.ended_at_ms == 0) e.ended_at_ms = now_ms;
  return e;
}

}  // namespace vigil
