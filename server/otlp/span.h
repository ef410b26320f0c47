// The typed span model both OTLP encodings decode into (docs/otlp.md). Only what the mapping reads
// is kept: ids as lower-case hex, times in Unix nanoseconds, attributes as typed values. Arrays and
// key-value lists are kept as their JSON text, which is how the GenAI conventions carry messages
// anyway, so nothing below the decoder recurses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::otlp {

enum class ValueKind { kEmpty, kString, kBool, kInt, kDouble, kBytes, kArray, kKvlist };

// One AnyValue. `text` holds a string, bytes as lower-case hex, or an array / kvlist as JSON.
struct AnyValue {
  ValueKind kind = ValueKind::kEmpty;
  std::string text;
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
};

struct Attribute {
  std::string key;
  AnyValue value;
};
using Attributes = std::vector<Attribute>;

// The attribute named `key`, or null. The last one wins when a sender repeats a key.
const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key);

// Status.code of the specification; other numbers read as kUnset.
enum class StatusCode { kUnset = 0, kOk = 1, kError = 2 };

struct SpanEvent {
  std::string name;
  uint64_t time_unix_nano = 0;
  Attributes attributes;
};

struct Span {
  std::string trace_id;        // 32 lower-case hex digits, never all zero
  std::string span_id;         // 16 lower-case hex digits, never all zero
  std::string parent_span_id;  // "" for a root span
  std::string name;
  int32_t kind = 0;  // SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, ...
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  Attributes attributes;
  std::vector<SpanEvent> events;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
  std::string service_name;  // the resource's `service.name`, "" when absent
};

// What one ExportTraceServiceRequest decoded to. Spans refused one by one (bad ids, over the
// per-request bound) are counted, with the first reason, for the response's partial success.
struct DecodedTraces {
  std::vector<Span> spans;
  int64_t rejected_spans = 0;
  std::string error_message;
};

}  // namespace vigil::otlp
