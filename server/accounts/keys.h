// API-key minting (docs/api.md#api-keys) and the dev bootstrap (docs/operations.md#dev-bootstrap).
#pragma once

#include <string>

#include "domain/status.h"
#include "storage/store.h"

namespace vigil {

struct MintedKey {
  std::string key_id;      // key- + 16 hex (CSPRNG)
  std::string raw_key;     // prefix + 32 chars of base64url; shown once, never stored
  std::string key_hash;    // lowercase hex SHA-256 of raw_key: the only stored form
  std::string key_prefix;  // display prefix: first len(prefix)+4 characters
};

MintedKey MintKey(const std::string& prefix);

// The display prefix of a raw key.
std::string DisplayPrefix(const std::string& raw_key, const std::string& configured_prefix);

// Ensures project proj-dev ("Local Dev") and key key-dev carrying SHA-256(dev_key). Idempotent.
Status BootstrapDev(Store& store, const std::string& dev_key, const std::string& key_prefix);

}  // namespace vigil
