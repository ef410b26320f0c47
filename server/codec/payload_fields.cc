// Event payloads: the fields ingestion and detection read of a payload, and the checks every
// event passes whichever way it arrived (a POST /events element, a mapped OTLP span).
#include <simdjson.h>

#include <optional>
#include <string>
#include <utility>

#include "detectors/detectors.h"
#include "server/codec/ids.h"
#include "server/codec/json_codec.h"
#include "server/codec/json_document.h"
#include "server/limits.h"

namespace vigil {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

// The payload keys detection reads, as views into the parsed document (nothing copied yet). Keys
// repeat as everywhere in the codec: the last value of the right type wins.
struct PayloadView {
  std::optional<std::string_view> model, system_prompt, user_message, response_text, status,
      tool_name, result_text, result_summary, tool_results_text, name, exception_type,
      exception_message, context_sha256;
  std::optional<element> arguments;
  std::optional<int64_t> input_tokens, output_tokens, cached_input_tokens, reasoning_tokens;
  bool passed_is_false = false;
  bool has_tool_calls = false;  // llm_call: a non-empty `tool_calls` list
};

// The token count member of `v` that `key` names, or nullptr.
std::optional<int64_t>* CountSlot(std::string_view key, PayloadView* v) {
  if (key == "input_tokens") return &v->input_tokens;
  if (key == "output_tokens") return &v->output_tokens;
  if (key == "cached_input_tokens") return &v->cached_input_tokens;
  if (key == "reasoning_tokens") return &v->reasoning_tokens;
  return nullptr;
}

// The string member of `v` that `key` names, or nullptr.
std::optional<std::string_view>* StringSlot(std::string_view key, PayloadView* v) {
  static const std::pair<std::string_view, std::optional<std::string_view> PayloadView::*>
      kSlots[] = {{"model", &PayloadView::model},
                  {"system_prompt", &PayloadView::system_prompt},
                  {"user_message", &PayloadView::user_message},
                  {"response_text", &PayloadView::response_text},
                  {"status", &PayloadView::status},
                  {"tool_name", &PayloadView::tool_name},
                  {"result_text", &PayloadView::result_text},
                  {"result_summary", &PayloadView::result_summary},
                  {"tool_results_text", &PayloadView::tool_results_text},
                  {"name", &PayloadView::name},
                  {"exception_type", &PayloadView::exception_type},
                  {"exception_message", &PayloadView::exception_message},
                  {"context_sha256", &PayloadView::context_sha256}};
  for (const auto& [name, member] : kSlots) {
    if (name == key) return &(v->*member);
  }
  return nullptr;
}

PayloadView ViewOf(element doc) {
  PayloadView v;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return v;
  for (auto [key, value] : obj) {
    std::string_view sv;
    int64_t n;
    double d;
    bool b;
    if (std::optional<std::string_view>* slot = StringSlot(key, &v)) {
      if (value.get_string().get(sv) == simdjson::SUCCESS) *slot = sv;
    } else if (std::optional<int64_t>* count = CountSlot(key, &v)) {
      // Integer JSON numbers only.
      if ((value.type() == element_type::INT64 || value.type() == element_type::UINT64) &&
          value.get_int64().get(n) == simdjson::SUCCESS) {
        *count = n;
      }
    } else if (key == "arguments") {
      v.arguments = value;
    } else if (key == "tool_calls") {
      simdjson::dom::array calls;
      v.has_tool_calls = value.get_array().get(calls) == simdjson::SUCCESS && calls.size() > 0;
    } else if (key == "passed") {
      if (value.get_bool().get(b) == simdjson::SUCCESS) {
        v.passed_is_false = !b;
      } else if (value.is_number() && value.get_double().get(d) == simdjson::SUCCESS) {
        v.passed_is_false = d == 0;
      } else {
        v.passed_is_false = false;
      }
    }
  }
  return v;
}

std::optional<std::string> Copy(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

// The numbers the loop detectors compare (docs/detection.md). A malformed context_sha256 is
// ignored like any payload field of the wrong type: the payload is still stored, and the call is
// judged by its message as a call without the extension.
void SetLlmCallDigests(const PayloadView& v, PayloadFields* f) {
  if (v.context_sha256) f->context_digest = ParseContextSha256(*v.context_sha256);
  if (v.response_text) f->response_digest = ContentDigest(*v.response_text);
  f->no_user_message = !v.user_message || v.user_message->empty();
  // Only what the client says: a missing response_text is not known to be empty.
  f->asked_for_tools = v.status != std::string_view("failed") &&
                       (v.has_tool_calls || (v.response_text && v.response_text->empty()));
}

void SetToolCallDigests(const PayloadView& v, PayloadFields* f) {
  if (!v.tool_name) return;
  const std::string arguments = v.arguments ? simdjson::minify(*v.arguments) : std::string();
  f->tool_call_hash = ToolCallHash(*v.tool_name, arguments);
  f->tool_result_digest = ToolResultDigest(v.status.value_or(""), v.result_text, v.result_summary,
                                           v.exception_type, v.exception_message);
}

PayloadFields FieldsOf(element doc) {
  const PayloadView v = ViewOf(doc);
  PayloadFields f;
  f.model = Copy(v.model);
  f.system_prompt = Copy(v.system_prompt);
  f.user_message = Copy(v.user_message);
  f.response_text = Copy(v.response_text);
  f.status = Copy(v.status);
  f.tool_name = Copy(v.tool_name);
  f.result_text = Copy(v.result_text);
  f.result_summary = Copy(v.result_summary);
  f.tool_results_text = Copy(v.tool_results_text);
  f.name = Copy(v.name);
  f.input_tokens = v.input_tokens;
  f.output_tokens = v.output_tokens;
  f.cached_input_tokens = v.cached_input_tokens;
  f.reasoning_tokens = v.reasoning_tokens;
  f.passed_is_false = v.passed_is_false;
  // The event type is not known here; the detectors read each number on its own type only.
  SetLlmCallDigests(v, &f);
  SetToolCallDigests(v, &f);
  return f;
}

}  // namespace

// The numbers are computed from the payload in place. The other fields are not copied: only a
// final pass reads them, from the stored payload (ExtractPayloadFields).
PayloadFields IngestPayloadFields(std::optional<element> payload, EventType type, bool detection) {
  PayloadView v;
  if (payload) v = ViewOf(*payload);
  PayloadFields f;
  f.model = Copy(v.model);
  f.input_tokens = v.input_tokens;
  f.output_tokens = v.output_tokens;
  f.cached_input_tokens = v.cached_input_tokens;
  f.reasoning_tokens = v.reasoning_tokens;
  if (!detection) return f;
  if (type == EventType::kLlmCall) {
    f.identical_call_hash = IdenticalCallHash(f.model.value_or(""), v.user_message.value_or(""));
    SetLlmCallDigests(v, &f);
  } else if (type == EventType::kToolCall) {
    SetToolCallDigests(v, &f);
  }
  return f;
}

PayloadFields ExtractPayloadFields(std::string_view payload_json) {
  element doc;
  if (!ParseJsonDocument(payload_json, &doc).ok()) return PayloadFields();
  return FieldsOf(doc);
}

bool CheckEventShape(const Event& ev, std::string* error) {
  if (ev.event_id.empty()) return *error = "event_id is required", false;
  if (ev.execution_id.empty()) return *error = "execution_id is required", false;
  if (ev.event_type.empty()) return *error = "event_type is required", false;
  const auto too_long = [error](const char* field, const std::string& value, size_t max) {
    if (value.size() <= max) return false;
    *error = std::string(field) + " longer than " + std::to_string(max) + " bytes";
    return true;
  };
  if (too_long("event_id", ev.event_id, limits::kMaxIdBytes) ||
      too_long("execution_id", ev.execution_id, limits::kMaxIdBytes) ||
      too_long("event_type", ev.event_type, limits::kMaxEventTypeBytes)) {
    return false;
  }
  if (HasControlChars(ev.event_id) || HasControlChars(ev.execution_id)) {
    *error = "ids must not contain control characters";
    return false;
  }
  if (ev.payload_json.size() > limits::kMaxPayloadBytes) {
    *error = "payload larger than " + std::to_string(limits::kMaxPayloadBytes) + " bytes";
    return false;
  }
  return true;
}

bool CompleteMappedEvent(Event* ev, bool detection_fields, std::string* error) {
  if (!CheckEventShape(*ev, error)) return false;
  ev->type = EventTypeOf(ev->event_type);
  element doc;
  if (!ParseJsonDocument(ev->payload_json, &doc).ok()) {
    *error = "payload is not valid JSON";
    return false;
  }
  ev->fields = IngestPayloadFields(doc, ev->type, detection_fields);
  return true;
}

}  // namespace vigil
