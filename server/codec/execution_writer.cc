// The response objects of executions and events (docs/api.md#reads), declared in json_codec.h.
#include "domain/time_util.h"
#include "server/codec/cause_codec.h"
#include "server/codec/json_codec.h"  // declares the writers

namespace vigil {

void WriteExecution(JsonWriter& w, const Execution& e, const std::string& project_id,
                    bool list_form, const ExceptionCause* cause) {
  w.BeginObject();
  w.Field("execution_id", e.execution_id);
  w.Field("project_id", project_id);
  if (!e.name.empty()) w.Field("name", e.name);
  if (!list_form && !e.parent_execution_id.empty()) {
    w.Field("parent_execution_id", e.parent_execution_id);
  }
  w.Field("status", ExecutionStatusName(e.status));
  w.Field("started_at", FormatRfc3339Ms(e.started_at_ms));
  if (e.ended_at_ms) w.Field("ended_at", FormatRfc3339Ms(e.ended_at_ms));
  if (e.duration_ms) w.Field("duration_ms", e.duration_ms);
  if (e.total_tokens_in) w.Field("total_tokens_in", e.total_tokens_in);
  if (e.total_tokens_out) w.Field("total_tokens_out", e.total_tokens_out);
  if (e.estimated_cost_usd > 0) w.FieldDouble("estimated_cost_usd", e.estimated_cost_usd);
  if (!list_form && !e.input_summary.empty()) w.Field("input_summary", e.input_summary);
  if (!list_form && !e.output_summary.empty()) w.Field("output_summary", e.output_summary);
  if (!e.crash_signature.empty()) w.Field("crash_signature", e.crash_signature);
  if (!e.sdk_version.empty()) w.Field("sdk_version", e.sdk_version);
  if (!e.sdk_language.empty()) w.Field("sdk_language", e.sdk_language);
  if (!e.failure_group_id.empty()) w.Field("failure_group_id", e.failure_group_id);
  if (!e.halt_reason.empty()) w.Field("halt_reason", e.halt_reason);
  if (!e.code_version.empty()) w.Field("code_version", e.code_version);
  if (!e.container_digest.empty()) w.Field("container_digest", e.container_digest);
  if (cause != nullptr) WriteExceptionCause(w.Key("exception"), *cause);
  w.EndObject();
}

void WriteExecutionPage(JsonWriter& w, const std::vector<Execution>& list,
                        const std::string& project_id, int64_t limit, int64_t offset) {
  w.BeginObject().Field("ok", true).Key("executions").BeginArray();
  for (const Execution& e : list) WriteExecution(w, e, project_id, true);
  w.EndArray()
      .Field("count", static_cast<int64_t>(list.size()))
      .Field("limit", limit)
      .Field("offset", offset);
}

void WriteEvent(JsonWriter& w, const Event& e) {
  w.BeginObject();
  w.Field("event_id", e.event_id);
  w.Field("execution_id", e.execution_id);
  w.Field("event_type", e.event_type);
  w.Field("sequence", e.sequence);
  w.Field("timestamp", FormatRfc3339Ms(e.timestamp_ms));
  if (e.duration_ms) w.Field("duration_ms", e.duration_ms);
  w.Key("payload").Raw(e.payload_json.empty() ? "null" : e.payload_json);
  w.EndObject();
}

}  // namespace vigil
