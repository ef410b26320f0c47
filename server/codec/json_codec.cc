#include "server/codec/json_codec.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "detectors/detectors.h"
#include "domain/time_util.h"
#include "server/codec/ids.h"
#include "server/codec/json_document.h"
#include "server/limits.h"

namespace vigil {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// One parser per thread: parsers are not thread-safe and reusing one avoids reallocating its
// buffers on every request. A parser grown by a very large body is dropped afterwards so idle
// threads do not pin megabytes each.
struct ThreadParser {
  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::parser& Get() {
    if (!parser || parser->capacity() > 1024 * 1024) {
      parser = std::make_unique<simdjson::dom::parser>();
      // On failure the parser allocates on first use instead (with the same depth limit).
      if (parser->allocate(64 * 1024, limits::kMaxJsonDepth) != simdjson::SUCCESS) {
        parser = std::make_unique<simdjson::dom::parser>();
      }
    }
    return *parser;
  }
};

}  // namespace

Status ParseJsonDocument(std::string_view body, element* out) {
  size_t i = 0;
  while (i < body.size() &&
         (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
    ++i;
  if (i == body.size()) return Status::InvalidArgument("invalid JSON: empty body");
  thread_local ThreadParser tp;
  auto& parser = tp.Get();
  const auto err = parser.parse(body.data(), body.size(), true).get(*out);
  switch (err) {
    case simdjson::SUCCESS:
      return Status::Ok();
    case simdjson::DEPTH_ERROR:
      return Status::InvalidArgument("invalid JSON: nesting deeper than 64");
    case simdjson::UTF8_ERROR:
      return Status::InvalidArgument("invalid JSON: invalid UTF-8");
    case simdjson::EMPTY:
      return Status::InvalidArgument("invalid JSON: empty body");
    case simdjson::MEMALLOC:
    case simdjson::CAPACITY:
      return Status::TooLarge("request body too large");
    default:
      return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
}

namespace {

std::string TypeError(std::string_view field, const char* type) {
  return "field \"" + std::string(field) + "\" must be " + type;
}

// Reads a JSON integer within int64 that is >= 0. `error` gets the wire message.
// On failure *type_error (when given) tells a value of the wrong JSON type (true) from a negative
// one (false): only the first is "invalid JSON" in the error message.
bool ReadCount(element v, std::string_view field, int64_t* out, std::string* error,
               bool* type_error = nullptr) {
  int64_t n;
  if (type_error) *type_error = true;
  if (v.type() != element_type::INT64 && v.type() != element_type::UINT64) {
    *error = TypeError(field, "an integer");
    return false;
  }
  if (v.get_int64().get(n) != simdjson::SUCCESS) {
    *error = TypeError(field, "an integer");  // beyond int64
    return false;
  }
  if (n < 0) {
    *error = "field \"" + std::string(field) + "\" must be >= 0";
    if (type_error) *type_error = false;
    return false;
  }
  *out = n;
  return true;
}

bool ReadNonNegativeNumber(element v, std::string_view field, double* out, std::string* error,
                           bool* type_error = nullptr) {
  double d;
  if (type_error) *type_error = true;
  if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
    *error = TypeError(field, "a number");
    return false;
  }
  if (d < 0) {
    *error = "field \"" + std::string(field) + "\" must be >= 0";
    if (type_error) *type_error = false;
    return false;
  }
  *out = d;
  return true;
}

bool ReadString(element v, std::string_view field, std::string* out, std::string* error) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    *error = TypeError(field, "a string");
    return false;
  }
  *out = std::string(s);
  return true;
}

bool ReadTimestamp(element v, std::string_view field, int64_t* out, std::string* error) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    *error = TypeError(field, "an RFC 3339 timestamp");
    return false;
  }
  if (s.empty()) return true;  // empty = not provided
  auto ms = ParseRfc3339Ms(s);
  if (!ms) {
    *error = TypeError(field, "an RFC 3339 timestamp");
    return false;
  }
  *out = *ms;
  return true;
}

Status Invalid(const std::string& msg, bool type_error) {
  return Status::InvalidArgument(type_error ? "invalid JSON: " + msg : msg);
}

bool ReadBudget(element v, Budget* b, std::string* error, bool* type_error) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    *error = TypeError("budget", "an object");
    *type_error = true;
    return false;
  }
  for (auto [key, value] : obj) {
    if (value.is_null()) continue;
    const std::string name = "budget." + std::string(key);
    int64_t n = 0;
    double d = 0;
    if (key == "max_duration_ms" || key == "max_steps" || key == "max_llm_calls") {
      if (!ReadCount(value, name, &n, error, type_error)) return false;
      if (key == "max_duration_ms") b->max_duration_ms = n;
      if (key == "max_steps") b->max_steps = n;
      if (key == "max_llm_calls") b->max_llm_calls = n;
    } else if (key == "max_cost_usd") {
      if (!ReadNonNegativeNumber(value, name, &d, error, type_error)) return false;
      b->max_cost_usd = d;
    } else if (key == "auto_halt") {
      bool flag;
      if (value.get_bool().get(flag) != simdjson::SUCCESS) {
        *error = TypeError(name, "a boolean");
        *type_error = true;
        return false;
      }
      b->auto_halt = flag;
    }
  }
  return true;
}

// Validates a string field that has a byte limit: empty = not provided.
bool ReadBoundedString(element v, std::string_view field, size_t max_bytes, std::string* out,
                       std::string* error, bool* type_error) {
  if (!ReadString(v, field, out, error)) {
    *type_error = true;
    return false;
  }
  if (out->size() > max_bytes) {
    *error = std::string(field) + " longer than " + std::to_string(max_bytes) + " bytes";
    *type_error = false;
    return false;
  }
  return true;
}

// A bounded string that names something (an id, an execution's name): no control characters.
bool ReadCleanString(element v, std::string_view field, size_t max_bytes, std::string* out,
                     std::string* error, bool* type_error) {
  if (!ReadBoundedString(v, field, max_bytes, out, error, type_error)) return false;
  if (!HasControlChars(*out)) return true;
  *error = std::string(field) + " must not contain control characters";
  *type_error = false;
  return false;
}

// A build-identity field (docs/protocol.md#build-identity): bounded, in its charset.
bool ReadIdentity(element v, std::string_view field, std::string* out, std::string* error,
                  bool* type_error) {
  const bool version = field == "code_version";
  const size_t max = version ? limits::kMaxCodeVersionBytes : limits::kMaxContainerDigestBytes;
  if (!ReadBoundedString(v, field, max, out, error, type_error)) return false;
  if (out->empty() || (version ? IsCodeVersion(*out) : IsContainerDigest(*out))) return true;
  *error = version ? "code_version may hold only letters, digits and . _ + : / @ -"
                   : "container_digest must look like <algorithm>:<hex>, e.g. sha256:…";
  *type_error = false;
  return false;
}

// One non-null field of an execution body into `p`; unknown keys are ignored (newer SDKs may add
// fields, docs/api.md#json-bodies). False with `error` set when the value is invalid.
bool ReadExecutionField(std::string_view key, element value, ExecutionPatch* p,
                        std::string* body_project_id, std::string* error, bool* type_error) {
  *type_error = true;
  if (key == "execution_id" || key == "parent_execution_id") {
    std::string v;
    const bool ok = ReadCleanString(value, key, limits::kMaxIdBytes, &v, error, type_error);
    (key == "execution_id" ? p->execution_id : p->parent_execution_id) = v;
    return ok;
  }
  if (key == "name") {
    return ReadCleanString(value, key, limits::kMaxExecutionNameBytes, &p->name, error, type_error);
  }
  if (key == "project_id") return ReadString(value, key, body_project_id, error);
  if (key == "status") {
    std::string status;
    if (!ReadString(value, key, &status, error)) return false;
    if (status.empty()) return true;
    p->status = ParseExecutionStatus(status);
    if (p->status) return true;
    *error = "invalid status: " + status;
    *type_error = false;
    return false;
  }
  if (key == "started_at") return ReadTimestamp(value, key, &p->started_at_ms, error);
  if (key == "ended_at") return ReadTimestamp(value, key, &p->ended_at_ms, error);
  if (key == "duration_ms") return ReadCount(value, key, &p->duration_ms, error, type_error);
  if (key == "total_tokens_in") {
    return ReadCount(value, key, &p->total_tokens_in, error, type_error);
  }
  if (key == "total_tokens_out") {
    return ReadCount(value, key, &p->total_tokens_out, error, type_error);
  }
  if (key == "estimated_cost_usd") {
    return ReadNonNegativeNumber(value, key, &p->estimated_cost_usd, error, type_error);
  }
  static const std::pair<std::string_view, std::string ExecutionPatch::*> kText[] = {
      {"input_summary", &ExecutionPatch::input_summary},
      {"output_summary", &ExecutionPatch::output_summary},
      {"crash_signature", &ExecutionPatch::crash_signature},
      {"sdk_version", &ExecutionPatch::sdk_version},
      {"sdk_language", &ExecutionPatch::sdk_language}};
  for (const auto& [text_key, member] : kText) {
    if (key != text_key) continue;
    return ReadBoundedString(value, key, limits::kMaxSummaryBytes, &(p->*member), error,
                             type_error);
  }
  if (key == "halt_reason") {
    return ReadBoundedString(value, key, limits::kMaxReasonBytes, &p->halt_reason, error,
                             type_error);
  }
  if (key == "code_version") return ReadIdentity(value, key, &p->code_version, error, type_error);
  if (key == "container_digest") {
    return ReadIdentity(value, key, &p->container_digest, error, type_error);
  }
  if (key != "budget") return true;
  Budget b;
  const bool ok = ReadBudget(value, &b, error, type_error);
  p->budget = b;
  return ok;
}

}  // namespace

Result<ExecutionPatch> ParseExecutionBody(std::string_view body, std::string* body_project_id) {
  element doc;
  Status s = ParseJsonDocument(body, &doc);
  if (!s.ok()) return s;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected a JSON object");
  }
  ExecutionPatch p;
  std::string error;
  bool type_error = false;
  for (auto [key, value] : obj) {
    if (value.is_null()) {
      // null means absent; a repeated key set earlier is cleared (last wins).
      if (key == "budget") p.budget.reset();
      continue;
    }
    if (!ReadExecutionField(key, value, &p, body_project_id, &error, &type_error)) {
      return Invalid(error, type_error);
    }
  }
  return p;
}

namespace {

// One event object of a batch into `ev`; `payload` is the last non-null "payload" value. False
// with `error` set when a field is invalid or a required one is missing.
bool ParseEventObject(simdjson::dom::object obj, Event* ev, std::optional<element>* payload,
                      std::string* error) {
  bool type_error = false;
  bool ok = true;
  for (auto [key, value] : obj) {
    if (!ok) break;
    if (value.is_null()) {
      if (key == "payload") ev->payload_json = "null", payload->reset();
      continue;
    }
    if (key == "event_id" || key == "execution_id") {
      std::string v;
      ok = ReadBoundedString(value, key, limits::kMaxIdBytes, &v, error, &type_error);
      if (ok && HasControlChars(v)) {
        *error = std::string(key) + " must not contain control characters";
        ok = false;
      }
      (key == "event_id" ? ev->event_id : ev->execution_id) = std::move(v);
    } else if (key == "event_type") {
      ok = ReadBoundedString(value, key, limits::kMaxEventTypeBytes, &ev->event_type, error,
                             &type_error);
    } else if (key == "sequence") {
      ok = ReadCount(value, key, &ev->sequence, error);
    } else if (key == "duration_ms") {
      ok = ReadCount(value, key, &ev->duration_ms, error);
    } else if (key == "timestamp") {
      int64_t ts = 0;
      ok = ReadTimestamp(value, key, &ts, error);
      if (ok && ts != 0) ev->timestamp_ms = ts;
    } else if (key == "payload") {
      ev->payload_json = simdjson::minify(value);
      *payload = value;
      if (ev->payload_json.size() > limits::kMaxPayloadBytes) {
        *error = "payload larger than " + std::to_string(limits::kMaxPayloadBytes) + " bytes";
        ok = false;
      }
    }
  }
  if (ok) ok = CheckEventShape(*ev, error);
  ev->type = EventTypeOf(ev->event_type);
  return ok;
}

}  // namespace

Result<EventBatch> ParseEventBatch(std::string_view body, int64_t now_ms, bool detection_fields) {
  element doc;
  Status s = ParseJsonDocument(body, &doc);
  if (!s.ok()) return s;
  if (doc.is_null()) return Status::InvalidArgument("empty event batch");
  simdjson::dom::array arr;
  if (doc.get_array().get(arr) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected an array of events");
  }
  EventBatch batch;
  batch.total = arr.size();
  if (batch.total == 0) return Status::InvalidArgument("empty event batch");
  if (batch.total > limits::kMaxEventsPerBatch) {
    return Status::TooLarge("too many events in one batch (max " +
                            std::to_string(limits::kMaxEventsPerBatch) + ")");
  }
  batch.events.reserve(batch.total);
  size_t index = 0;
  for (element item : arr) {
    const size_t i = index++;
    simdjson::dom::object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) {
      batch.errors.emplace_back(i, "event must be a JSON object");
      continue;
    }
    Event ev;
    ev.timestamp_ms = now_ms;
    ev.payload_json = "null";
    std::optional<element> payload;
    std::string error;
    if (!ParseEventObject(obj, &ev, &payload, &error)) {
      batch.errors.emplace_back(i, error);
      continue;
    }
    ev.fields = IngestPayloadFields(payload, ev.type, detection_fields);
    batch.events.push_back(std::move(ev));
  }
  return batch;
}

Result<std::string> ParseOptionalStringField(std::string_view body, const char* field) {
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  if (i == body.size()) return std::string();
  element doc;
  Status s = ParseJsonDocument(body, &doc);
  if (!s.ok()) return s;
  if (doc.is_null()) return std::string();
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected a JSON object");
  }
  std::string out, error;
  for (auto [key, value] : obj) {
    if (key != field) continue;
    if (value.is_null()) {
      out.clear();
      continue;
    }
    if (!ReadString(value, key, &out, &error)) return Invalid(error, true);
  }
  return out;
}

}  // namespace vigil
