// Identifiers and secrets from the CSPRNG (OpenSSL RAND_bytes). Never from the clock, so ids leak
// no timing and cannot collide in practice (docs/protocol.md#compatibility).
#pragma once

#include <string>

namespace vigil {

// `n_bytes` random bytes as lowercase hex (2*n_bytes characters).
std::string RandomHex(size_t n_bytes);

// `n_bytes` random bytes as unpadded base64url.
std::string RandomBase64Url(size_t n_bytes);

}  // namespace vigil
