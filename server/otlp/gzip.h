// Content-Encoding: gzip request bodies (docs/otlp.md#requests).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace vigil::otlp {

// The decompressed bytes of one gzip stream. TooLarge once the output would pass `max_bytes` (a
// small body can inflate a thousandfold, so the bound is on the output, not the input);
// InvalidArgument for anything that is not a complete gzip stream.
Result<std::string> Gunzip(std::string_view compressed, size_t max_bytes);

}  // namespace vigil::otlp
