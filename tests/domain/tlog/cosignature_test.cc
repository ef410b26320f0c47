#include "domain/tlog/cosignature.h"

#include <doctest/doctest.h>

#include <string>

#include "domain/base64.h"
#include "domain/hash.h"

namespace vigil::tlog::cosignature_test {

constexpr const char* kCheckpointText =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

struct Witness {
  std::string seed;
  std::string public_key;
  VerifierKey key;
};

Witness MakeWitness(const std::string& name) {
  Witness w;
  w.seed = GenerateEd25519Seed().value();
  w.public_key = Ed25519PublicKey(w.seed).value();
  w.key = ParseCosignerKey(FormatVerifierKey(name, w.public_key, kCosignatureV1Type)).value();
  return w;
}

TEST_CASE("A cosigner key id hashes the name, a newline, 0x04 and the public key") {
  const Witness w = MakeWitness("witness.example.com/w1");
  const std::string expected =
      Sha256Raw({"witness.example.com/w1", "\n", "\x04", w.public_key}).substr(0, 4);
  CHECK(w.key.key_id == expected);
  CHECK(w.key.key_id != KeyId("witness.example.com/w1", w.public_key));
  // A note signer's key (type 0x01) is not a cosigner key, nor the reverse.
  CHECK_FALSE(ParseCosignerKey(FormatVerifierKey("w", w.public_key)).ok());
  CHECK_FALSE(ParseVerifierKey(FormatVerifierKey("w", w.public_key, kCosignatureV1Type)).ok());
}

TEST_CASE("A cosignature signs cosignature/v1, the time line and the checkpoint body") {
  const Witness w = MakeWitness("witness.example.com/w1");
  const NoteSignature sig = Cosign(kCheckpointText, w.key.name, w.seed, 1679315147).value();
  REQUIRE(sig.signature.size() == 72);
  // Eight big-endian bytes of time, then the Ed25519 signature of the spelled-out message.
  CHECK(sig.signature.substr(0, 8) == std::string("\0\0\0\0\x64\x18\x50\xcb", 8));
  const std::string message = std::string("cosignature/v1\ntime 1679315147\n") + kCheckpointText;
  CHECK(Ed25519Verify(w.public_key, message, sig.signature.substr(8)));
  CHECK(VerifyCosignature(w.key, kCheckpointText, sig).value() == 1679315147);
}

TEST_CASE("A cosignature over another body, time or key does not verify") {
  const Witness w = MakeWitness("w1");
  const Witness other = MakeWitness("w1");
  NoteSignature sig = Cosign(kCheckpointText, "w1", w.seed, 1700000000).value();
  const std::string grown =
      "example.com/behind-the-sofa\n20852164\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  CHECK_FALSE(VerifyCosignature(w.key, grown, sig).ok());
  CHECK_FALSE(VerifyCosignature(other.key, kCheckpointText, sig).ok());
  NoteSignature later = sig;
  later.signature[7] = static_cast<char>(later.signature[7] + 1);
  CHECK_FALSE(VerifyCosignature(w.key, kCheckpointText, later).ok());
  NoteSignature shortened = sig;
  shortened.signature.pop_back();
  CHECK_FALSE(VerifyCosignature(w.key, kCheckpointText, shortened).ok());
}

TEST_CASE("A cosignature line rides on the checkpoint note beside the log's signature") {
  const std::string log_seed = GenerateEd25519Seed().value();
  const std::string note =
      SignNote(kCheckpointText, "example.com/behind-the-sofa", log_seed).value();
  const Witness w = MakeWitness("witness.example.com/w1");
  const std::string cosigned =
      note + FormatNoteSignature(Cosign(kCheckpointText, w.key.name, w.seed, 42).value());
  const VerifierKey log_key =
      ParseVerifierKey(
          FormatVerifierKey("example.com/behind-the-sofa", Ed25519PublicKey(log_seed).value()))
          .value();
  CHECK(OpenNote(cosigned, log_key).value() == kCheckpointText);
  const SplitNoteResult split = SplitNote(cosigned).value();
  REQUIRE(split.signatures.size() == 2);
  CHECK(split.text == kCheckpointText);
  CHECK(SignedBy(split.signatures[1], w.key));
  CHECK_FALSE(SignedBy(split.signatures[0], w.key));
  CHECK(VerifyCosignature(w.key, split.text, split.signatures[1]).value() == 42);
}

TEST_CASE("Malformed cosigner keys are refused") {
  CHECK_FALSE(ParseCosignerKey("").ok());
  CHECK_FALSE(ParseCosignerKey("w1+00000000+BA==").ok());
  const Witness w = MakeWitness("w1");
  std::string text = FormatVerifierKey("w1", w.public_key, kCosignatureV1Type);
  text[3] = text[3] == '0' ? '1' : '0';  // a key id that does not match
  CHECK_FALSE(ParseCosignerKey(text).ok());
}

}  // namespace vigil::tlog::cosignature_test
