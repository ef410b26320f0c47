// Request bodies in, response objects out. Parsing uses simdjson's DOM API through error codes;
// nothing here throws. Validation messages are the wire messages of docs/api.md#json-bodies and
// docs/api.md#send-events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/cause.h"
#include "domain/merge.h"
#include "domain/model.h"
#include "domain/status.h"
#include "server/codec/json_writer.h"

namespace vigil {

// POST /executions and PATCH /executions/{id} body. `body_project_id` receives the body's
// `project_id` (never stored; the caller checks it against the key's project).
Result<ExecutionPatch> ParseExecutionBody(std::string_view body, std::string* body_project_id);

// POST /events body after whole-body checks; per-event problems are listed, not fatal.
struct EventBatch {
  size_t total = 0;
  std::vector<Event> events;                           // accepted shape, in request order
  std::vector<std::pair<size_t, std::string>> errors;  // (index, message), every rejection
};
// Whole-body failures: InvalidArgument (not JSON, not an array, empty) and TooLarge (> 1000).
// Events without a timestamp get `now_ms`. Of the payload fields, each event carries only what
// ingestion reads: the model, the token counts and, with `detection_fields` (set when the live
// detection pass will run), the numbers the live loop detectors compare (see PayloadFields).
Result<EventBatch> ParseEventBatch(std::string_view body, int64_t now_ms, bool detection_fields);

// An event a server-side mapping built (OTLP spans) through the checks and payload fields of one
// POST /events element, without writing and re-parsing a batch: `ev->payload_json` (minified
// JSON) is parsed once. False with `error` set when the event is refused.
bool CompleteMappedEvent(Event* ev, bool detection_fields, std::string* error);

// Extracts the detector-relevant fields of a stored payload
// (docs/protocol.md#event-types-and-payloads, docs/protocol.md), with the loop detectors' numbers.
PayloadFields ExtractPayloadFields(std::string_view payload_json);

// An optional JSON object body holding at most string fields (e.g. {"name": ...}). Empty body ok.
// Returns the value of `field` ("" when absent or null); InvalidArgument on a malformed body.
Result<std::string> ParseOptionalStringField(std::string_view body, const char* field);

// Response objects (docs/api.md#reads). `list_form` omits the fields lists leave out; `cause`, when
// given, is written as the execution's `exception` (the detail's crash cause).
void WriteExecution(JsonWriter& w, const Execution& e, const std::string& project_id,
                    bool list_form, const ExceptionCause* cause = nullptr);
void WriteEvent(JsonWriter& w, const Event& e);
// `{"ok":true,"executions":[…],"count","limit","offset"` — the caller adds fields and closes it.
void WriteExecutionPage(JsonWriter& w, const std::vector<Execution>& list,
                        const std::string& project_id, int64_t limit, int64_t offset);

}  // namespace vigil
