// Entries of sealed executions (server/transparency/entry_builder.h).
#include "server/transparency/entry_builder.h"

#include <simdjson.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "detectors/unicode.h"
#include "domain/hash.h"
#include "server/limits.h"

namespace vigil {
namespace {

// One parser per thread, its buffers reused from payload to payload.
simdjson::dom::parser& EntryParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Appends the RFC 8785 form of `el` to `out`, written straight from the parsed document without
// building a tlog::JsonValue tree. Members of the same name keep the last one's value, as
// JsonValue::Set does.
void AppendCanonical(simdjson::dom::element el, std::string* out) {
  using simdjson::dom::element_type;
  switch (el.type()) {
    case element_type::ARRAY: {
      out->push_back('[');
      bool first = true;
      for (simdjson::dom::element child : el.get_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonical(child, out);
      }
      out->push_back(']');
      return;
    }
    case element_type::OBJECT: {
      std::vector<std::pair<std::string_view, simdjson::dom::element>> members;
      for (simdjson::dom::key_value_pair kv : el.get_object()) {
        members.emplace_back(kv.key, kv.value);
      }
      std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
        return tlog::Utf16Less(a.first, b.first);
      });
      out->push_back('{');
      bool first = true;
      for (size_t i = 0; i < members.size(); ++i) {
        if (i + 1 < members.size() && members[i + 1].first == members[i].first) continue;
        if (!first) out->push_back(',');
        first = false;
        tlog::AppendJsonString(members[i].first, out);
        out->push_back(':');
        AppendCanonical(members[i].second, out);
      }
      out->push_back('}');
      return;
    }
    case element_type::INT64:
      return tlog::AppendJsonNumber(static_cast<double>(int64_t(el)), out);
    case element_type::UINT64:
      return tlog::AppendJsonNumber(static_cast<double>(uint64_t(el)), out);
    case element_type::DOUBLE:
      return tlog::AppendJsonNumber(double(el), out);
    case element_type::STRING:
      return tlog::AppendJsonString(std::string_view(el), out);
    case element_type::BOOL:
      *out += bool(el) ? "true" : "false";
      return;
    case element_type::NULL_VALUE:
      break;
  }
  *out += "null";
}

// Appends the canonical form of a stored JSON text (a JSON string of it when it does not parse) to
// `out`, also reading its top-level string field "model" into `model` when present.
void AppendCanonicalPayload(std::string_view json, std::string* out, std::string* model) {
  simdjson::dom::element el;
  if (EntryParser().parse(json.data(), json.size(), true).get(el) != simdjson::SUCCESS) {
    return tlog::AppendJsonString(json, out);
  }
  std::string_view m;
  if (model != nullptr && el["model"].get(m) == simdjson::SUCCESS) *model = std::string(m);
  AppendCanonical(el, out);
}

void AppendCanonicalInt(int64_t i, std::string* out) {
  tlog::AppendJsonNumber(static_cast<double>(i), out);
}

// Appends the canonical bytes of `e` to `out`, its members written in their sorted order; its
// payload's model, if any, into `model`.
void AppendCanonicalEvent(const Event& e, std::string* out, std::string* model) {
  *out += "{\"duration_ms\":";
  AppendCanonicalInt(e.duration_ms, out);
  *out += ",\"event_id\":";
  tlog::AppendJsonString(e.event_id, out);
  *out += ",\"event_type\":";
  tlog::AppendJsonString(e.event_type, out);
  *out += ",\"payload\":";
  AppendCanonicalPayload(e.payload_json, out, model);
  *out += ",\"sequence\":";
  AppendCanonicalInt(e.sequence, out);
  *out += ",\"timestamp\":";
  AppendCanonicalInt(e.timestamp_ms, out);
  out->push_back('}');
}

}  // namespace

std::string CanonicalJson(std::string_view json) {
  std::string out;
  AppendCanonicalPayload(json, &out, nullptr);
  return out;
}

std::string CanonicalEvent(const Event& e) {
  std::string out;
  AppendCanonicalEvent(e, &out, nullptr);
  return out;
}

void EntryStream::Add(const Event& e) {
  if (e.arrival > last_event_) return;  // arrived after the seal
  std::string model;
  canonical_.clear();
  AppendCanonicalEvent(e, &canonical_, &model);
  transcript_.Add(canonical_);
  ++out_.event_count;
  last_row_ = std::max(last_row_, e.arrival);
  // A client chooses its model names: cut, they keep the entry within its size bound.
  if (!model.empty()) models_.insert(std::string(CutUtf8(model, limits::kMaxSealedModelBytes)));
}

tlog::ExecutionEntry EntryStream::Finish(const std::string& project_id, const Execution& execution,
                                         const std::vector<StoredFinding>& findings,
                                         const std::string& policy_sha256) {
  tlog::ExecutionEntry out = std::move(out_);
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
  for (const std::string& m : models_) {
    if (out.models.size() == limits::kMaxSealedModels) break;
    out.models.push_back(m);
  }
  out.transcript_sha256 = transcript_.Hex();
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
