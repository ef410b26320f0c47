// Hand-built OTLP protobuf for the decoder tests: the wire format written byte by byte, so the
// tests do not share code with the reader they check.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace otlp_test {

inline std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

inline std::string Key(uint32_t field, int wire_type) {
  return Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

inline std::string Len(uint32_t field, std::string_view bytes) {
  return Key(field, 2) + Varint(bytes.size()) + std::string(bytes);
}

inline std::string VarintField(uint32_t field, uint64_t v) { return Key(field, 0) + Varint(v); }

inline std::string Fixed64Field(uint32_t field, uint64_t v) {
  std::string out = Key(field, 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

// KeyValue with a string, int or double AnyValue.
inline std::string StrAttr(std::string_view key, std::string_view value) {
  return Len(1, key) + Len(2, Len(1, value));
}
inline std::string IntAttr(std::string_view key, int64_t value) {
  return Len(1, key) + Len(2, VarintField(3, static_cast<uint64_t>(value)));
}
inline std::string DoubleAttr(std::string_view key, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return Len(1, key) + Len(2, Fixed64Field(4, bits));
}

inline std::string Bytes(int n, char fill) { return std::string(static_cast<size_t>(n), fill); }

struct SpanSpec {
  std::string trace_id = Bytes(16, '\x11');
  std::string span_id = Bytes(8, '\x22');
  std::string parent_span_id;
  std::string name = "span";
  uint64_t start = 1700000000000000000ull;
  uint64_t end = 1700000001000000000ull;
  std::vector<std::string> attributes;  // KeyValue messages
  std::vector<std::string> events;      // Span.Event messages
  int status_code = 0;
  std::string status_message;
};

inline std::string SpanBytes(const SpanSpec& s) {
  std::string out = Len(1, s.trace_id) + Len(2, s.span_id);
  if (!s.parent_span_id.empty()) out += Len(4, s.parent_span_id);
  out += Len(5, s.name) + VarintField(6, 1) + Fixed64Field(7, s.start) + Fixed64Field(8, s.end);
  for (const std::string& a : s.attributes) out += Len(9, a);
  for (const std::string& e : s.events) out += Len(11, e);
  if (s.status_code != 0 || !s.status_message.empty()) {
    out += Len(15, Len(2, s.status_message) + VarintField(3, static_cast<uint64_t>(s.status_code)));
  }
  return out;
}

inline std::string ExceptionEvent(std::string_view type, std::string_view message,
                                  std::string_view stack) {
  return Fixed64Field(1, 1700000000500000000ull) + Len(2, "exception") +
         Len(3, StrAttr("exception.type", type)) + Len(3, StrAttr("exception.message", message)) +
         Len(3, StrAttr("exception.stacktrace", stack));
}

// ExportTraceServiceRequest with one resource (service.name) and one scope.
inline std::string RequestBytes(const std::vector<SpanSpec>& spans,
                                std::string_view service = "svc") {
  std::string scope = Len(1, Len(1, "scope"));
  for (const SpanSpec& s : spans) scope += Len(2, SpanBytes(s));
  const std::string resource = Len(1, StrAttr("service.name", service));
  return Len(1, Len(1, resource) + Len(2, scope));
}

}  // namespace otlp_test
