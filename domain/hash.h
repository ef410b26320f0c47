// Hash helpers (SHA-256 via OpenSSL). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vigil {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// The first four bytes of SHA-256 of the concatenated `parts` as a big-endian integer: the value
// of the first eight characters of their Sha256Hex, without building either string.
uint32_t Sha256First32(std::initializer_list<std::string_view> parts);

// The first eight bytes of SHA-256 of the concatenated `parts` as a big-endian integer (the value
// of the first sixteen characters of their Sha256Hex).
uint64_t Sha256First64(std::initializer_list<std::string_view> parts);

// Raw 32-byte SHA-256 of the concatenated `parts`.
std::string Sha256Raw(std::initializer_list<std::string_view> parts);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of raw bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace vigil
