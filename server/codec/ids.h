// The checks every client-chosen id passes, wherever it arrives (a JSON body or a request path),
// so nothing stored under an id can later break a listing (docs/api.md#limits).
#pragma once

#include <string_view>

#include "domain/status.h"

namespace vigil {

// True when `s` holds an ASCII control character (below 0x20, or DEL).
bool HasControlChars(std::string_view s);

// An id taken from a request path, checked as the same id in a body is: at most
// limits::kMaxIdBytes bytes, valid UTF-8 (a body guarantees that by being JSON), no control
// characters. `field` names the id in the 400's message, which matches the body's.
Status CheckPathId(std::string_view field, std::string_view id);

}  // namespace vigil
