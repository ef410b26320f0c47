// Percent-encoding (RFC 3986 style, uppercase hex). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

// `text` with every byte that `keep` rejects written as %XX. Output stops before the first byte
// met with fewer than 3 bytes of room left under `max_bytes`, so the result never exceeds it and
// never ends in a cut escape.
std::string PercentEncode(std::string_view text, bool (*keep)(unsigned char),
                          size_t max_bytes = SIZE_MAX);

}  // namespace vigil
