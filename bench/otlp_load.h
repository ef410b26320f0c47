// OTLP/HTTP protobuf request bodies for the ingestion benchmark: the wire format written directly
// (field numbers of the public opentelemetry-proto definitions), so the load generator costs
// little CPU beside the server it measures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::bench {

inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void PutLen(std::string& out, uint32_t field, std::string_view bytes) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

inline void PutFixed64(std::string& out, uint32_t field, uint64_t v) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::string StringKeyValue(std::string_view key, std::string_view value) {
  std::string any, kv;
  PutLen(any, 1, value);
  PutLen(kv, 1, key);
  PutLen(kv, 2, any);
  return kv;
}

inline std::string IntKeyValue(std::string_view key, int64_t value) {
  std::string any, kv;
  PutVarint(any, 3 << 3);
  PutVarint(any, static_cast<uint64_t>(value));
  PutLen(kv, 1, key);
  PutLen(kv, 2, any);
  return kv;
}

// One chat span of `trace` (16 bytes) with 8-byte `span_id`, child of `parent` ("" = the root),
// carrying about as much text as one benchmark event: model, tokens and an input message.
inline void AppendChatSpan(std::string& spans, std::string_view trace, std::string_view span_id,
                           std::string_view parent, uint64_t start_ns, long seq) {
  std::string span;
  PutLen(span, 1, trace);
  PutLen(span, 2, span_id);
  if (!parent.empty()) PutLen(span, 4, parent);
  PutLen(span, 5, parent.empty() ? "invoke_agent bench" : "chat gpt-4o");
  PutFixed64(span, 7, start_ns);
  PutFixed64(span, 8, start_ns + 1000000);
  if (parent.empty()) {
    PutLen(span, 9, StringKeyValue("gen_ai.operation.name", "invoke_agent"));
    PutLen(span, 9, StringKeyValue("gen_ai.agent.name", "bench-agent"));
  } else {
    PutLen(span, 9, StringKeyValue("gen_ai.operation.name", "chat"));
    PutLen(span, 9, StringKeyValue("gen_ai.request.model", "gpt-4o"));
    PutLen(span, 9, IntKeyValue("gen_ai.usage.input_tokens", 120 + seq % 50));
    PutLen(span, 9, IntKeyValue("gen_ai.usage.output_tokens", 40));
    const std::string message =
        R"([{"role":"user","parts":[{"type":"text","content":"Summarise the quarterly revenue )"
        R"(figures for the northern region, step )" +
        std::to_string(seq) +
        R"(, and compare them with the previous period, highlighting any anomalies."}]}])";
    PutLen(span, 9, StringKeyValue("gen_ai.input.messages", message));
  }
  PutLen(spans, 2, span);
}

// ExportTraceServiceRequest around already-encoded ScopeSpans.spans entries.
inline std::string WrapSpans(const std::string& spans) {
  std::string scope_spans, resource_spans, request;
  PutLen(scope_spans, 1, std::string("\x0a\x05vigil", 7));  // scope { name: "vigil" }
  scope_spans += spans;
  PutLen(resource_spans, 2, scope_spans);
  PutLen(request, 1, resource_spans);
  return request;
}

}  // namespace vigil::bench
