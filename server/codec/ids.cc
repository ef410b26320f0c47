#include "server/codec/ids.h"

#include <simdjson.h>

#include <string>

#include "server/limits.h"

namespace vigil {

bool HasControlChars(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status CheckPathId(std::string_view field, std::string_view id) {
  const std::string name(field);
  if (id.size() > limits::kMaxIdBytes) {
    return Status::InvalidArgument(name + " longer than " + std::to_string(limits::kMaxIdBytes) +
                                   " bytes");
  }
  if (!simdjson::validate_utf8(id.data(), id.size())) {
    return Status::InvalidArgument(name + " must be valid UTF-8");
  }
  if (HasControlChars(id)) {
    return Status::InvalidArgument(name + " must not contain control characters");
  }
  return Status::Ok();
}

}  // namespace vigil
