// Fuzz target: the OTLP decoders (protobuf and JSON), the span mapping and the gzip inflater. Any
// input must give spans or a Status; whatever is decoded must respect the request bounds, and
// every mapped event must pass the ingest parser's own checks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/limits.h"
#include "server/otlp/decode.h"
#include "server/otlp/gzip.h"
#include "server/otlp/mapping.h"

namespace {

void CheckDecoded(const vigil::otlp::DecodedTraces& traces) {
  if (traces.spans.size() > vigil::limits::kMaxOtlpSpansPerRequest) std::abort();
  for (const vigil::otlp::Span& s : traces.spans) {
    if (s.trace_id.size() != 32 || s.span_id.size() != 16) std::abort();
    if (s.attributes.size() > vigil::limits::kMaxOtlpAttributesPerSpan) std::abort();
  }
  const vigil::otlp::MappedTraces mapped = vigil::otlp::MapSpans(traces.spans);
  for (const vigil::otlp::MappedEvent& e : mapped.events) {
    if (e.event_id.size() > vigil::limits::kMaxIdBytes) std::abort();
    if (e.payload_json.size() > vigil::limits::kMaxPayloadBytes) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto p = vigil::otlp::DecodeProtobuf(body); p.ok()) CheckDecoded(p.value());
  if (auto j = vigil::otlp::DecodeJson(body); j.ok()) CheckDecoded(j.value());
  if (auto z = vigil::otlp::Gunzip(body, 1 << 20); z.ok() && z->size() > (1 << 20)) std::abort();
  return 0;
}
