// Spans and attributes for the OTLP mapping tests, built in code.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "server/otlp/mapping.h"
#include "server/otlp/span.h"

namespace vigil::otlp::test {

inline constexpr const char* kTrace = "5b8efff798038103d269b633813fc60c";

inline Span MakeSpan(std::string id, std::string parent, Attributes attributes,
                     uint64_t start_s = 1) {
  Span s;
  s.trace_id = kTrace;
  s.span_id = std::move(id);
  s.parent_span_id = std::move(parent);
  s.name = "span-" + s.span_id;
  s.start_unix_nano = start_s * 1000000000ull;
  s.end_unix_nano = s.start_unix_nano + 500000000ull;
  s.attributes = std::move(attributes);
  return s;
}

inline Attribute Str(std::string key, std::string value) {
  AnyValue v;
  v.kind = ValueKind::kString;
  v.text = std::move(value);
  return {std::move(key), std::move(v)};
}

inline Attribute Int(std::string key, int64_t value) {
  AnyValue v;
  v.kind = ValueKind::kInt;
  v.int_value = value;
  return {std::move(key), std::move(v)};
}

// The first mapped event of `type`, or null.
inline const MappedEvent* EventOfType(const MappedTraces& m, const std::string& type) {
  for (const MappedEvent& e : m.events) {
    if (e.event_type == type) return &e;
  }
  return nullptr;
}

}  // namespace vigil::otlp::test
