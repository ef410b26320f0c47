// The codec's shared JSON steps (server/codec/json_codec.cc and payload_fields.cc): parsing a
// whole document with the thread's parser, and the payload fields ingestion reads of an event.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "domain/model.h"
#include "domain/status.h"

namespace vigil {

// Parses a whole body: one JSON value, valid UTF-8, nesting <= 64. The element lives until the
// thread's next parse.
Status ParseJsonDocument(std::string_view body, simdjson::dom::element* out);

// What ingestion itself reads of a payload: the model and token counts and, with `detection`, the
// numbers the live loop detectors compare (see PayloadFields).
PayloadFields IngestPayloadFields(std::optional<simdjson::dom::element> payload, EventType type,
                                  bool detection);

// The checks every event passes whichever way it arrived: ids and type present and within their
// bounds, no control characters in the ids, the payload within its size.
bool CheckEventShape(const Event& ev, std::string* error);

}  // namespace vigil
