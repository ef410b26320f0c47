// Hash helpers (SHA-256 via OpenSSL). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// The first four bytes of SHA-256(`data`) as a big-endian integer: the value of the first eight
// characters of Sha256Hex, without building the string.
uint32_t Sha256First32(std::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of raw bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace vigil
