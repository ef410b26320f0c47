// Witness cosignatures of checkpoints and signing-key rotation, without a server.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "domain/secret_box.h"
#include "domain/tlog/cosignature.h"
#include "server/limits.h"
#include "server/transparency/handlers.h"
#include "server/transparency/transparency.h"
#include "server/transparency/verify.h"
#include "storage/transparency.h"
#include "tests/storage/temp_store.h"

namespace vigil::witnesses_test {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr uint64_t kNowS = 1'700'000'000;

struct TestWitness {
  std::string seed = tlog::GenerateEd25519Seed().value();
  std::string name;
  std::string vkey;
  explicit TestWitness(std::string n) : name(std::move(n)) {
    vkey = tlog::FormatVerifierKey(name, tlog::Ed25519PublicKey(seed).value(),
                                   tlog::kCosignatureV1Type);
  }
  // `note` (a checkpoint as served) with this witness's cosignature line appended.
  std::string Cosign(const std::string& note, uint64_t time_s = kNowS) const {
    const std::string text = note.substr(0, note.find("\n\n") + 1);
    return note + tlog::FormatNoteSignature(tlog::Cosign(text, name, seed, time_s).value());
  }
};

SecretBox TestBox() { return SecretBox(std::string(32, 'k'), {}); }

struct WitnessedStore : vigil::testing::TempStore {
  explicit WitnessedStore(const std::vector<const TestWitness*>& witnesses)
      : log(store.get(), TestBox(), "host.example", Keys(witnesses)) {
    REQUIRE(log.LoadKey(kNow).ok());
  }
  static std::vector<tlog::VerifierKey> Keys(const std::vector<const TestWitness*>& witnesses) {
    std::vector<tlog::VerifierKey> keys;
    for (const TestWitness* w : witnesses) keys.push_back(tlog::ParseCosignerKey(w->vkey).value());
    return keys;
  }
  // Appends the entry of execution `id` to project `a`'s log.
  void Append(const std::string& id) {
    storage::SealRecord seal;
    seal.execution_id = id;
    seal.entry = "{\"execution_id\":\"" + id + "\"}";
    Write([&](WriteTxn& txn) {
      return storage::AppendTransparencyEntry(txn, a, "host.example/vigil/pa", seal, kNow).status();
    });
  }
  std::string CertificateJson(Transparency& t, const std::string& id, int64_t now_ms) {
    auto cert = t.CertificateOf(a, "pa", id, now_ms);
    REQUIRE(cert.ok());
    return vigil::CertificateJson(cert.value());
  }
  Transparency log;
};

TEST_CASE("A configured witness's cosignature is stored once and served on the checkpoint") {
  const TestWitness w1("witness.example/w1");
  const TestWitness w2("witness.example/w2");
  WitnessedStore s({&w1, &w2});
  s.Append("r1");
  const std::string note = s.log.Checkpoint(s.a, "pa", 0, kNow).value();
  const std::string cosigned = w1.Cosign(note);
  auto added = s.log.AddCosignatures(s.a, cosigned, kNow);
  REQUIRE(added.ok());
  CHECK(added->added == 1);
  CHECK(added->checkpoint == cosigned);
  CHECK(s.log.AddCosignatures(s.a, w1.Cosign(note, kNowS + 5), kNow)->added == 0);  // first kept
  CHECK(s.log.Checkpoint(s.a, "pa", 0, kNow + 10).value() == cosigned);
  // The certificate carries it: verifying it may require w1, not w2 (it did not cosign).
  const std::string cert = s.CertificateJson(s.log, "r1", kNow + 10);
  const std::string vkey = s.log.VerifierKey("pa").value();
  auto verified = VerifyCertificate(cert, vkey, {w1.vkey});
  REQUIRE(verified.ok());
  CHECK(verified->witnessed == std::vector<std::string>{"witness.example/w1 at 1700000000"});
  CHECK(VerifyCertificate(cert, vkey).ok());
  CHECK(VerifyCertificate(cert, vkey, {w2.vkey}).status().message().find("no cosignature") !=
        std::string::npos);
  // Both witnesses: two lines, in witness order.
  CHECK(s.log.AddCosignatures(s.a, w2.Cosign(note), kNow)->added == 1);
  CHECK(
      VerifyCertificate(s.CertificateJson(s.log, "r1", kNow + 20), vkey, {w1.vkey, w2.vkey}).ok());
  // Once the log grew, r1's certificate still carries the cosigned checkpoint; r2's cannot.
  s.Append("r2");
  CHECK(VerifyCertificate(s.CertificateJson(s.log, "r1", kNow + 5000), vkey, {w1.vkey}).ok());
  const std::string r2 = s.CertificateJson(s.log, "r2", kNow + 5000);
  CHECK(VerifyCertificate(r2, vkey).ok());
  CHECK_FALSE(VerifyCertificate(r2, vkey, {w1.vkey}).ok());
}

TEST_CASE("Cosignatures by unknown keys, over other trees, or that fail are refused") {
  const TestWitness w1("witness.example/w1");
  const TestWitness stranger("witness.example/w1");  // same name, another key
  WitnessedStore s({&w1});
  s.Append("r1");
  const std::string note = s.log.Checkpoint(s.a, "pa", 0, kNow).value();
  auto code = [&](const std::string& body, int64_t now_ms = kNow) {
    return s.log.AddCosignatures(s.a, body, now_ms).status().code();
  };
  CHECK(code(stranger.Cosign(note)) == Code::kInvalidArgument);
  CHECK(code(note) == Code::kInvalidArgument);  // the log's own signature only
  CHECK(code("not a note") == Code::kInvalidArgument);
  // A valid line beside an unknown one: the whole note is refused, nothing stored.
  CHECK(code(stranger.Cosign(w1.Cosign(note))) == Code::kInvalidArgument);
  CHECK(code(w1.Cosign(note, kNowS + 3600)) == Code::kInvalidArgument);  // dated in the future
  std::string tampered = w1.Cosign(note);
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(code(tampered) == Code::kInvalidArgument);
  // Another root at the same size, and a size the log never signed.
  const std::string text = note.substr(0, note.find("\n\n") + 1);
  tlog::Checkpoint c = tlog::ParseCheckpoint(text).value();
  c.root[0] ^= 1;
  const std::string other = tlog::FormatCheckpoint(c) + note.substr(text.size());
  CHECK(code(w1.Cosign(other)) == Code::kInvalidArgument);
  c.size = 7;
  const std::string unsigned_size = tlog::FormatCheckpoint(c) + note.substr(text.size());
  CHECK(code(w1.Cosign(unsigned_size)) == Code::kNotFound);
  // Another project's log has no such checkpoint.
  CHECK(s.log.AddCosignatures(s.b, w1.Cosign(note), kNow).status().code() == Code::kNotFound);
  CHECK(s.log.Checkpoint(s.a, "pa", 0, kNow + 10).value() == note);
}

TEST_CASE("Without configured witnesses cosignatures are refused as forbidden") {
  const TestWitness w1("witness.example/w1");
  WitnessedStore s({});
  s.Append("r1");
  const std::string note = s.log.Checkpoint(s.a, "pa", 0, kNow).value();
  CHECK(s.log.AddCosignatures(s.a, w1.Cosign(note), kNow).status().code() == Code::kForbidden);
}

TEST_CASE("After a key rotation the new key signs; certificates from before verify with the old") {
  WitnessedStore s({});
  s.Append("r1");
  const std::string old_vkey = s.log.VerifierKey("pa").value();
  const std::string before = s.CertificateJson(s.log, "r1", kNow);
  REQUIRE(s.log.RotateKey(kNow + 1).ok());
  Transparency restarted(s.store.get(), TestBox(), "host.example");
  REQUIRE(restarted.LoadKey(kNow + 2).ok());
  const std::string new_vkey = restarted.VerifierKey("pa").value();
  CHECK(new_vkey != old_vkey);
  // The same tree, signed again by the new key at once.
  const std::string same_size = s.CertificateJson(restarted, "r1", kNow + 3);
  CHECK(VerifyCertificate(same_size, new_vkey).ok());
  CHECK_FALSE(VerifyCertificate(same_size, old_vkey).ok());
  s.Append("r2");
  const std::string after = s.CertificateJson(restarted, "r2", kNow + 5000);
  CHECK(VerifyCertificate(after, new_vkey).ok());
  CHECK(VerifyCertificate(before, old_vkey).ok());
  CHECK_FALSE(VerifyCertificate(before, new_vkey).ok());
  // Rotating needs the master key.
  Transparency keyless(s.store.get(), SecretBox(), "host.example");
  CHECK(keyless.RotateKey(kNow).status().code() == Code::kNotConfigured);
}

}  // namespace vigil::witnesses_test
