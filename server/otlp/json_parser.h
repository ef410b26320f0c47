// simdjson parsers for the OTLP code, one per thread and purpose: a document parsed by one must
// stay valid while another parses (the request is walked while its message attributes are read).
#pragma once

#include <simdjson.h>

namespace vigil::otlp {

enum class ParserSlot { kRequest, kMessages, kArguments };

// The calling thread's parser for `slot`, limited to limits::kMaxJsonDepth. A parser grown past
// 1 MiB by a large document is replaced, so idle threads do not pin megabytes.
simdjson::dom::parser& OtlpParser(ParserSlot slot);

}  // namespace vigil::otlp
