// The crash cause an `exception` event carries (docs/protocol.md#exception-events): read back from
// the stored payload for the execution detail, written as the detail's `exception`.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "domain/cause.h"
#include "server/codec/json_writer.h"

namespace vigil {

// The cause an `exception` payload holds, or nullopt when it holds none (not an object, or no
// non-empty string `exception_type`). Lenient like every payload reader, because the protocol
// stores any payload as sent: members of another JSON type are ignored, strings are cut to their
// bounds in server/limits.h at a character boundary, and only the innermost frames are kept.
std::optional<ExceptionCause> ReadExceptionCause(simdjson::dom::element payload);

// The same for a stored payload's JSON text; nullopt when it does not parse.
std::optional<ExceptionCause> ParseExceptionCause(std::string_view payload_json);

// `{"type","message","frames":[{"file","line","function"}…]}`; `message`, a frame's `file`,
// `line` and `function` only when known.
void WriteExceptionCause(JsonWriter& w, const ExceptionCause& cause);

}  // namespace vigil
