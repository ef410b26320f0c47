// Witness cosignatures (domain/tlog/cosignature.h).
#include "domain/tlog/cosignature.h"

namespace vigil::tlog {
namespace {

constexpr size_t kTimestampBytes = 8;
constexpr size_t kEd25519SignatureBytes = 64;
// timestamped_signature.timestamp must not exceed 2^63 - 1.
constexpr uint64_t kMaxTimestamp = (uint64_t{1} << 63) - 1;

std::string BigEndian64(uint64_t v) {
  std::string out(kTimestampBytes, '\0');
  for (size_t i = 0; i < kTimestampBytes; ++i) {
    out[kTimestampBytes - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < kTimestampBytes; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

}  // namespace

Result<VerifierKey> ParseCosignerKey(std::string_view text) {
  return ParseVerifierKey(text, kCosignatureV1Type);
}

std::string CosignedMessage(uint64_t time_s, std::string_view checkpoint_text) {
  std::string message = "cosignature/v1\ntime " + std::to_string(time_s) + "\n";
  message += checkpoint_text;
  return message;
}

Result<NoteSignature> Cosign(std::string_view checkpoint_text, std::string_view name,
                             std::string_view seed, uint64_t time_s) {
  if (!ValidKeyName(name) || time_s > kMaxTimestamp) {
    return Status::InvalidArgument("malformed cosigner name or time");
  }
  Result<std::string> pub = Ed25519PublicKey(seed);
  if (!pub.ok()) return pub.status();
  Result<std::string> sig = Ed25519Sign(seed, CosignedMessage(time_s, checkpoint_text));
  if (!sig.ok()) return sig.status();
  return NoteSignature{std::string(name), KeyId(name, pub.value(), kCosignatureV1Type),
                       BigEndian64(time_s) + sig.value()};
}

bool SignedBy(const NoteSignature& sig, const VerifierKey& witness) {
  return sig.name == witness.name && sig.key_id == witness.key_id;
}

Result<uint64_t> VerifyCosignature(const VerifierKey& witness, std::string_view checkpoint_text,
                                   const NoteSignature& sig) {
  if (!SignedBy(sig, witness) || sig.signature.size() != kTimestampBytes + kEd25519SignatureBytes) {
    return Status::InvalidArgument("malformed cosignature by " + witness.name);
  }
  const uint64_t time_s = ReadBigEndian64(sig.signature);
  if (time_s > kMaxTimestamp ||
      !Ed25519Verify(witness.public_key, CosignedMessage(time_s, checkpoint_text),
                     std::string_view(sig.signature).substr(kTimestampBytes))) {
    return Status::InvalidArgument("cosignature by " + witness.name + " does not verify");
  }
  return time_s;
}

}  // namespace vigil::tlog
