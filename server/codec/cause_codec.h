// The crash cause an `exception` event carries (docs/protocol.md#exception-events): checked when
// the event arrives, read back for the execution detail, written as the detail's `exception`.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "domain/cause.h"
#include "server/codec/json_writer.h"

namespace vigil {

// Reads the payload of an `exception` event into `out` (when given). False with `error` set to
// the wire message when the payload breaks the rules: an object with a non-empty
// `exception_type`, an optional `exception_message` and optional `frames`, each within the bounds
// of server/limits.h. Other payload keys are allowed and kept.
bool ReadExceptionCause(simdjson::dom::element payload, ExceptionCause* out, std::string* error);

// The cause held by a stored `exception` payload, or nullopt when it breaks the rules (an event
// stored before they were checked).
std::optional<ExceptionCause> ParseExceptionCause(std::string_view payload_json);

// `{"type","message","frames":[{"file","line","function"}…]}`; `message`, a frame's `file`,
// `line` and `function` only when known.
void WriteExceptionCause(JsonWriter& w, const ExceptionCause& cause);

}  // namespace vigil
