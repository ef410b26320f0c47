// Stored secrets, encrypted at rest (docs/protocol.md#sealed-secrets): AES-256-GCM under the
// operator's master key.
//
// A sealed value ("blob") is
//   0x01 ‖ key_id ‖ nonce ‖ ciphertext ‖ tag
// with key_id = first 4 bytes of SHA-256(master key), nonce = 12 random bytes, tag = 16 bytes.
// GCM's associated data binds it to the row it belongs to (see WebhookSecretAad), so a blob copied
// into another row, or another project's row, fails to open. Nonces come from the CSPRNG; random
// 96-bit nonces stay safe up to 2^32 encryptions per key (NIST SP 800-38D), far beyond the number
// of stored secrets, and a rotation starts a new key anyway.
//
// The key id lets the master key rotate: VIGIL_MASTER_KEY seals, VIGIL_MASTER_KEY_PREVIOUS keys
// only open, and start-up (or `vigil reencrypt`) re-seals rows found under a previous key.
//
// Thread-safe: every method is const and keeps no state between calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"

namespace vigil {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kKeyIdBytes = 4;
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr unsigned char kVersion = 0x01;
  // Bytes a blob adds to its plaintext.
  static constexpr size_t kOverheadBytes = 1 + kKeyIdBytes + kNonceBytes + kTagBytes;

  // A master key as configured: 64 hex digits, or base64 (standard or URL-safe, padded or not) of
  // exactly 32 bytes. nullopt for anything else. Returns the 32 raw bytes.
  static std::optional<std::string> ParseKey(std::string_view text);
  // First 4 bytes of SHA-256(key): stored in each blob to say which key sealed it.
  static std::string KeyId(std::string_view key);

  // No key: configured() is false, Seal and Open fail.
  SecretBox() = default;
  // `current` (32 bytes, or empty = none) seals and opens; `previous` keys (32 bytes each) only
  // open: they exist so rows sealed before a rotation stay readable until re-encrypted.
  SecretBox(std::string current, std::vector<std::string> previous);

  // Whether a current key is configured (secrets may be stored).
  bool configured() const { return !current_.bytes.empty(); }
  // Whether any key (current or previous) is configured.
  bool any_key() const { return configured() || !previous_.empty(); }

  // Encrypts `plaintext` under the current key with `aad` as associated data.
  // Unavailable when no current key is configured.
  Result<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
  // Decrypts a blob sealed under the current or a previous key with the same `aad`.
  // InvalidArgument when the blob is malformed, no configured key has its key id, or the
  // authentication tag does not verify (tampered, or moved from another row).
  Result<std::string> Open(std::string_view blob, std::string_view aad) const;
  // Whether `blob` names the current key (re-encryption leaves such rows alone).
  bool IsCurrent(std::string_view blob) const;

 private:
  struct Key {
    std::string bytes;
    std::string id;
  };
  Key current_;
  std::vector<Key> previous_;
};

// Associated data of a webhook's signing secret:
// "vigil/webhook-secret/v1" ‖ 0x00 ‖ project_id ‖ 0x00 ‖ webhook_id (public ids).
std::string WebhookSecretAad(std::string_view project_id, std::string_view webhook_id);

}  // namespace vigil
