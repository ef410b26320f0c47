#include "domain/tlog/note.h"

#include <doctest/doctest.h>

#include <string>

#include "domain/base64.h"
#include "domain/hash.h"

namespace vigil::tlog {
namespace {

// The Ed25519 example of the C2SP signed-note specification (Go's sumdb/note test key).
constexpr const char* kExampleVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr const char* kExampleSkeyB64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr const char* kExampleText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr const char* kExampleSig =
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

std::string ExampleSeed() { return Base64Decode(kExampleSkeyB64).value().substr(1); }

TEST_CASE("The signed-note example key gives the example verifier key and key id") {
  const std::string pub = Ed25519PublicKey(ExampleSeed()).value();
  CHECK(FormatVerifierKey("PeterNeumann", pub) == kExampleVkey);
  const VerifierKey k = ParseVerifierKey(kExampleVkey).value();
  CHECK(k.name == "PeterNeumann");
  CHECK(HexEncode(k.key_id) == "c74f20a3");
  CHECK(k.public_key == pub);
}

TEST_CASE("Signing the signed-note example text gives the example signature line") {
  const std::string note = SignNote(kExampleText, "PeterNeumann", ExampleSeed()).value();
  CHECK(note == std::string(kExampleText) + "\n" + kExampleSig);
  const VerifierKey k = ParseVerifierKey(kExampleVkey).value();
  CHECK(OpenNote(note, k).value() == kExampleText);
}

TEST_CASE("A note whose text, signature or key was altered does not open") {
  const std::string note = SignNote(kExampleText, "PeterNeumann", ExampleSeed()).value();
  const VerifierKey k = ParseVerifierKey(kExampleVkey).value();
  std::string edited = note;
  edited[3] ^= 0x01;
  CHECK_FALSE(OpenNote(edited, k).ok());
  // A flipped bit inside the signature (after the key id) fails the signature check.
  const size_t sig_at = note.rfind(' ') + 1;
  std::string raw = Base64Decode(note.substr(sig_at, note.size() - sig_at - 1)).value();
  raw[10] ^= 0x01;
  CHECK_FALSE(OpenNote(note.substr(0, sig_at) + Base64Encode(raw) + "\n", k).ok());
  VerifierKey other = k;
  other.key_id[0] ^= 0x01;
  CHECK_FALSE(OpenNote(note, other).ok());
  CHECK_FALSE(OpenNote(kExampleText, k).ok());
  CHECK_FALSE(
      ParseVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
}

TEST_CASE("A note opens when other signers' lines, such as witness cosignatures, come first") {
  const std::string other = GenerateEd25519Seed().value();
  const std::string signed_by_other = SignNote(kExampleText, "witness.example", other).value();
  const std::string mine = SignNote(kExampleText, "PeterNeumann", ExampleSeed()).value();
  const std::string both = signed_by_other + mine.substr(std::string(kExampleText).size() + 1);
  CHECK(OpenNote(both, ParseVerifierKey(kExampleVkey).value()).value() == kExampleText);
}

TEST_CASE("The C2SP signed-note specification's example note opens under its key") {
  const VerifierKey k =
      ParseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
          .value();
  const std::string note =
      "This is an example message.\n\n\xe2\x80\x94 example.com/foo "
      "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
      "\n";
  CHECK(OpenNote(note, k).value() == "This is an example message.\n");
}

TEST_CASE("A second signature line by the key that fails rejects the note") {
  const std::string note = SignNote(kExampleText, "PeterNeumann", ExampleSeed()).value();
  const VerifierKey k = ParseVerifierKey(kExampleVkey).value();
  const std::string forged =
      "\xe2\x80\x94 PeterNeumann " + Base64Encode(k.key_id + std::string(64, '\0')) + "\n";
  CHECK_FALSE(OpenNote(note + forged, k).ok());
}

TEST_CASE("Checkpoints format and parse as C2SP tlog-checkpoint bodies") {
  Checkpoint c;
  c.origin = "example.com/vigil/p1";
  c.size = 1234;
  c.root[0] = 0xff;
  const std::string text = FormatCheckpoint(c);
  CHECK(text.substr(0, text.find('\n')) == "example.com/vigil/p1");
  const Checkpoint back = ParseCheckpoint(text).value();
  CHECK(back.origin == c.origin);
  CHECK(back.size == 1234);
  CHECK(back.root == c.root);
  CHECK_FALSE(ParseCheckpoint("o\n01\n" + Base64Encode(std::string(32, 'a')) + "\n").ok());
  CHECK_FALSE(ParseCheckpoint("o\n1\n" + Base64Encode(std::string(31, 'a')) + "\n").ok());
  CHECK_FALSE(ParseCheckpoint("o\n1\n").ok());
  CHECK(ParseCheckpoint("o\n1\n" + Base64Encode(std::string(32, 'a')) + "\next\n")
            .value()
            .extensions.size() == 1);
}

TEST_CASE("tlog-proof text lists the index, the hashes and the checkpoint, and parses back") {
  ProofText p;
  p.index = 7;
  p.hashes.resize(2);
  p.hashes[1][0] = 1;
  p.checkpoint = "o\n8\n" + Base64Encode(std::string(32, 'a')) + "\n\n\xe2\x80\x94 o AAAA\n";
  const std::string text = FormatProofText(p);
  CHECK(text.rfind("c2sp.org/tlog-proof@v1\nindex 7\n", 0) == 0);
  const ProofText back = ParseProofText(text).value();
  CHECK(back.index == 7);
  CHECK(back.hashes == p.hashes);
  CHECK(back.checkpoint == p.checkpoint);
  p.hashes.clear();
  CHECK(ParseProofText(FormatProofText(p)).value().hashes.empty());
  CHECK_FALSE(ParseProofText("c2sp.org/tlog-proof@v2\nindex 7\n\nx").ok());
  CHECK_FALSE(ParseProofText("c2sp.org/tlog-proof@v1\nindex 07\n\nx").ok());
}

}  // namespace
}  // namespace vigil::tlog
