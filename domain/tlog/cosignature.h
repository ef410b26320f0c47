// C2SP tlog-cosignature, Ed25519 "cosignature/v1" (docs/transparency.md#witnesses): a witness's
// statement that, as of a time, the checkpoint it cosigns is the largest consistent tree it has
// seen for the log. A cosignature is one more signature line on the checkpoint note, whose
// signature is a timestamped_signature (8-byte big-endian POSIX seconds ‖ 64-byte Ed25519
// signature) over "cosignature/v1\ntime <T>\n" followed by the checkpoint body. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/status.h"
#include "domain/tlog/note.h"

namespace vigil::tlog {

// The signature type byte of Ed25519 cosignatures in key ids and verifier keys.
constexpr unsigned char kCosignatureV1Type = 0x04;

// Parses a witness's verifier key "<name>+<key id>+<base64(0x04 ‖ public key)>".
Result<VerifierKey> ParseCosignerKey(std::string_view text);
// The message a cosigner signs for checkpoint body `checkpoint_text` at `time_s`.
std::string CosignedMessage(uint64_t time_s, std::string_view checkpoint_text);
// The cosignature line of `checkpoint_text` by the witness `name` with private key `seed` at
// `time_s` (witnesses and tests make these; the log only verifies them).
Result<NoteSignature> Cosign(std::string_view checkpoint_text, std::string_view name,
                             std::string_view seed, uint64_t time_s);
// Verifies `sig` (a signature line by `witness`: same name and key id) over `checkpoint_text`.
// Returns its timestamp; InvalidArgument when it is malformed or does not verify.
Result<uint64_t> VerifyCosignature(const VerifierKey& witness, std::string_view checkpoint_text,
                                   const NoteSignature& sig);
// Whether `sig` is a line by `witness` (its name and key id).
bool SignedBy(const NoteSignature& sig, const VerifierKey& witness);

}  // namespace vigil::tlog
