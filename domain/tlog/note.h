// C2SP signed-note with Ed25519 signatures, C2SP tlog-checkpoint bodies and C2SP tlog-proof text
// (docs/transparency.md). Ed25519 through OpenSSL's EVP interface. Pure functions apart from key
// generation (which reads the CSPRNG); thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"
#include "domain/tlog/merkle.h"

namespace vigil::tlog {

// The signature type byte of Ed25519 in key ids and verifier keys.
constexpr unsigned char kEd25519Type = 0x01;

// A fresh Ed25519 private key: its 32-byte seed. Internal when the CSPRNG fails.
Result<std::string> GenerateEd25519Seed();
// The 32-byte public key of a seed.
Result<std::string> Ed25519PublicKey(std::string_view seed);
// The 64-byte signature of `message` under `seed`.
Result<std::string> Ed25519Sign(std::string_view seed, std::string_view message);
bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature);

// Whether `name` may name a key: non-empty, no whitespace, no '+'.
bool ValidKeyName(std::string_view name);
// The 4-byte key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]; type 0x01 for note signatures
// (0x04 for witness cosignatures, domain/tlog/cosignature.h).
std::string KeyId(std::string_view name, std::string_view public_key,
                  unsigned char type = kEd25519Type);

struct VerifierKey {
  std::string name;
  std::string key_id;      // 4 bytes
  std::string public_key;  // 32 bytes
};
// "<name>+<8 lowercase hex key id>+<base64(type ‖ public key)>".
std::string FormatVerifierKey(std::string_view name, std::string_view public_key,
                              unsigned char type = kEd25519Type);
// Parses a verifier key of signature type `type`, checking that its key id matches its name and
// key. InvalidArgument for a malformed key or one of another signature type.
Result<VerifierKey> ParseVerifierKey(std::string_view text, unsigned char type = kEd25519Type);

// One signature line of a signed note: "— <name> <base64(key id ‖ signature)>".
struct NoteSignature {
  std::string name;
  std::string key_id;     // 4 bytes
  std::string signature;  // what follows the key id
};
struct SplitNoteResult {
  std::string text;  // the note's text, ending in '\n'
  std::vector<NoteSignature> signatures;
};
// Splits a signed note into its text and signature lines without verifying any. InvalidArgument
// when malformed (no blank line, no signature line, a line that is not a signature).
Result<SplitNoteResult> SplitNote(std::string_view note);
// The signature line of `sig`, ending in '\n'.
std::string FormatNoteSignature(const NoteSignature& sig);

// The signed note of `text` (REQUIRES: non-empty, ends in '\n', no blank line) signed by `name`:
// text, a blank line, "— <name> <base64(key id ‖ signature)>\n".
Result<std::string> SignNote(std::string_view text, std::string_view name, std::string_view seed);
// The text of `note` once a signature line by `key` (name and key id) verifies. InvalidArgument
// when the note is malformed, carries no signature by the key, or that signature fails; other
// signature lines (witness cosignatures) are ignored.
Result<std::string> OpenNote(std::string_view note, const VerifierKey& key);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // further body lines, verbatim
};
// "<origin>\n<size>\n<base64 root>\n" followed by the extension lines.
std::string FormatCheckpoint(const Checkpoint& c);
// Parses a checkpoint body (a note's text). InvalidArgument when malformed (size with leading
// zeros, a root that is not 32 bytes of padded standard base64, ...).
Result<Checkpoint> ParseCheckpoint(std::string_view text);

struct ProofText {
  uint64_t index = 0;
  std::vector<Hash> hashes;
  std::string checkpoint;  // the signed checkpoint note, verbatim
};
// "c2sp.org/tlog-proof@v1\nindex <I>\n<base64 hash>\n…\n\n<checkpoint>".
std::string FormatProofText(const ProofText& p);
// Parses tlog-proof text; an `extra` line is accepted and skipped. InvalidArgument when malformed.
Result<ProofText> ParseProofText(std::string_view text);

}  // namespace vigil::tlog
