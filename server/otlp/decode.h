// The two encodings of an OTLP/HTTP ExportTraceServiceRequest (docs/otlp.md), decoded into the
// one span model of server/otlp/span.h, and the ExportTraceServiceResponse written back in the
// request's encoding. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/status.h"
#include "server/otlp/span.h"

namespace vigil::otlp {

// Binary protobuf (application/x-protobuf). InvalidArgument for anything that is not a well-formed
// message: truncated fields, over-long varints, groups, wrong wire types on known fields, values
// nested deeper than limits::kMaxOtlpValueDepth. A span with a malformed id is refused alone.
Result<DecodedTraces> DecodeProtobuf(std::string_view body);

// OTLP/JSON (application/json): camelCase keys, ids as hex, enums as integers, 64-bit integers as
// strings or numbers; unknown keys are ignored. InvalidArgument for invalid JSON or wrong types.
Result<DecodedTraces> DecodeJson(std::string_view body);

// ExportTraceServiceResponse: empty when nothing was refused, else partial_success with
// rejected_spans and error_message.
std::string EncodeResponseProtobuf(int64_t rejected_spans, std::string_view error_message);
std::string EncodeResponseJson(int64_t rejected_spans, std::string_view error_message);

// google.rpc.Status {code, message}, the body of an OTLP/HTTP error response (docs/otlp.md#errors).
// `code` is a google.rpc.Code value (non-negative).
std::string EncodeStatusProtobuf(int32_t code, std::string_view message);
std::string EncodeStatusJson(int32_t code, std::string_view message);

// Shared by both decoders: lower-case hex of an id's bytes; "" unless it has `size` bytes and is
// not all zero (the specification's invalid ids).
std::string IdHex(std::string_view bytes, size_t size);
// Keeps `span` unless the request already holds the maximum, and records why a span is refused.
void AddSpan(DecodedTraces* out, Span span);

}  // namespace vigil::otlp
