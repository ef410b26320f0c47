#include "server/otlp/span.h"

#include <memory>
#include <utility>

#include "domain/hash.h"
#include "server/limits.h"
#include "server/otlp/decode.h"
#include "server/otlp/json_parser.h"

namespace vigil::otlp {

const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  const AnyValue* found = nullptr;
  for (const Attribute& a : attributes) {
    if (a.key == key) found = &a.value;
  }
  return found;
}

std::string IdHex(std::string_view bytes, size_t size) {
  if (bytes.size() != size) return "";
  for (char c : bytes) {
    if (c != 0) return HexEncode(bytes);
  }
  return "";
}

void AddSpan(DecodedTraces* out, Span span) {
  if (out->spans.size() < limits::kMaxOtlpSpansPerRequest) {
    out->spans.push_back(std::move(span));
    return;
  }
  ++out->rejected_spans;
  if (out->error_message.empty()) {
    out->error_message = "more than " + std::to_string(limits::kMaxOtlpSpansPerRequest) +
                         " spans in one request; send smaller batches";
  }
}

simdjson::dom::parser& OtlpParser(ParserSlot slot) {
  thread_local std::unique_ptr<simdjson::dom::parser> parsers[3];
  auto& parser = parsers[static_cast<int>(slot)];
  if (!parser || parser->capacity() > 1024 * 1024) {
    parser = std::make_unique<simdjson::dom::parser>();
    // On failure the parser allocates on first use instead, with the default depth.
    if (parser->allocate(64 * 1024, limits::kMaxJsonDepth) != simdjson::SUCCESS) {
      parser = std::make_unique<simdjson::dom::parser>();
    }
  }
  return *parser;
}

}  // namespace vigil::otlp
