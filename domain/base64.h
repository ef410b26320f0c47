// Base64 and hex codecs for secrets and signatures. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigil {

// Standard alphabet (RFC 4648 docs/protocol.md#data-model), padded with '='.
std::string Base64Encode(std::string_view bytes);

// Decodes base64 in the standard or the URL-safe alphabet, padded or not. nullopt for any other
// character, misplaced padding or an impossible length.
std::optional<std::string> Base64Decode(std::string_view text);

// The value of one hex digit (either case), -1 for any other character.
int HexValue(char c);

// Decodes an even number of hex digits (either case). nullopt otherwise.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace vigil
