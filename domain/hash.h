// Hash helpers (SHA-256 via OpenSSL). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

}  // namespace vigil
