// Entries of sealed executions (server/transparency/entry_builder.h).
#include "server/transparency/entry_builder.h"

#include <simdjson.h>

#include <algorithm>
#include <set>

#include "detectors/unicode.h"
#include "domain/hash.h"
#include "server/limits.h"

namespace vigil {
namespace {

tlog::JsonValue FromElement(simdjson::dom::element el) {
  using simdjson::dom::element_type;
  switch (el.type()) {
    case element_type::ARRAY: {
      tlog::JsonValue a = tlog::JsonValue::Array();
      for (simdjson::dom::element child : el.get_array()) a.Push(FromElement(child));
      return a;
    }
    case element_type::OBJECT: {
      tlog::JsonValue o = tlog::JsonValue::Object();
      for (simdjson::dom::key_value_pair kv : el.get_object()) {
        o.Set(std::string(kv.key), FromElement(kv.value));
      }
      return o;
    }
    case element_type::INT64:
      return tlog::JsonValue::Number(static_cast<double>(int64_t(el)));
    case element_type::UINT64:
      return tlog::JsonValue::Number(static_cast<double>(uint64_t(el)));
    case element_type::DOUBLE:
      return tlog::JsonValue::Number(double(el));
    case element_type::STRING:
      return tlog::JsonValue::String(std::string(std::string_view(el)));
    case element_type::BOOL:
      return tlog::JsonValue::Bool(bool(el));
    case element_type::NULL_VALUE:
      break;
  }
  return tlog::JsonValue();
}

// CanonicalValueOf, also reading the top-level string field "model" into `model` when present.
tlog::JsonValue CanonicalPayload(std::string_view json, std::string* model) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parser.parse(json.data(), json.size(), true).get(el) != simdjson::SUCCESS) {
    return tlog::JsonValue::String(std::string(json));
  }
  std::string_view m;
  if (model != nullptr && el["model"].get(m) == simdjson::SUCCESS) *model = std::string(m);
  return FromElement(el);
}

// The canonical bytes of `e`; its payload's model, if any, into `model`.
std::string CanonicalEventAndModel(const Event& e, std::string* model) {
  tlog::JsonValue o = tlog::JsonValue::Object();
  o.Set("event_id", tlog::JsonValue::String(e.event_id))
      .Set("event_type", tlog::JsonValue::String(e.event_type))
      .Set("sequence", tlog::JsonValue::Int(e.sequence))
      .Set("timestamp", tlog::JsonValue::Int(e.timestamp_ms))
      .Set("duration_ms", tlog::JsonValue::Int(e.duration_ms))
      .Set("payload", CanonicalPayload(e.payload_json, model));
  return o.Canonical();
}

}  // namespace

tlog::JsonValue CanonicalValueOf(std::string_view json) { return CanonicalPayload(json, nullptr); }

std::string CanonicalEvent(const Event& e) { return CanonicalEventAndModel(e, nullptr); }

int64_t LastEventRow(const std::vector<Event>& events) {
  int64_t last = 0;
  for (const Event& e : events) last = std::max(last, e.arrival);
  return last;
}

tlog::ExecutionEntry BuildExecutionEntry(const std::string& project_id, const Execution& execution,
                                         const std::vector<Event>& events, int64_t last_event,
                                         const std::vector<StoredFinding>& findings,
                                         const std::string& policy_sha256) {
  tlog::ExecutionEntry out;
  out.project_id = project_id;
  out.execution_id = execution.execution_id;
  out.name = execution.name;
  out.status = std::string(ExecutionStatusName(execution.status));
  out.started_at_ms = execution.started_at_ms;
  out.ended_at_ms = execution.ended_at_ms;
  out.total_tokens_in = execution.total_tokens_in;
  out.total_tokens_out = execution.total_tokens_out;
  out.estimated_cost_usd = execution.estimated_cost_usd;
  out.code_version = execution.code_version;
  out.container_digest = execution.container_digest;
  std::set<std::string> models;
  std::vector<std::string> canonical;
  for (const Event& e : events) {
    if (e.arrival > last_event) continue;  // arrived after the seal
    std::string model;
    canonical.push_back(CanonicalEventAndModel(e, &model));
    // A client chooses its model names: cut, they keep the entry within its size bound.
    if (!model.empty()) models.insert(std::string(CutUtf8(model, limits::kMaxSealedModelBytes)));
  }
  for (const std::string& m : models) {
    if (out.models.size() == limits::kMaxSealedModels) break;
    out.models.push_back(m);
  }
  out.event_count = static_cast<int64_t>(canonical.size());
  out.transcript_sha256 = tlog::TranscriptSha256(canonical);
  for (const StoredFinding& f : findings) {
    out.findings.push_back({f.detector, f.failure_class, f.signature, Sha256Hex(f.detail)});
  }
  std::sort(out.findings.begin(), out.findings.end(),
            [](const tlog::SealedFinding& a, const tlog::SealedFinding& b) {
              return a.detector < b.detector;
            });
  out.policy_sha256 = policy_sha256;
  return out;
}

}  // namespace vigil
