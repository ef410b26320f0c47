// Offline certificate verification (server/transparency/verify.h).
#include "server/transparency/verify.h"

#include <simdjson.h>

#include "domain/base64.h"
#include "domain/tlog/cosignature.h"
#include "domain/tlog/merkle.h"
#include "domain/tlog/note.h"

namespace vigil {
namespace {

struct CertificateFields {
  std::string entry;
  uint64_t index = 0;
  std::string proof;
};

Result<CertificateFields> ParseCertificateJson(std::string_view json) {
  const Status bad = Status::InvalidArgument(
      "not a certificate: expected {\"entry\": base64, \"index\": integer, \"proof\": text}");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size(), true).get(doc) != simdjson::SUCCESS) return bad;
  std::string_view entry_b64, proof;
  uint64_t index = 0;
  if (doc["entry"].get(entry_b64) != simdjson::SUCCESS ||
      doc["proof"].get(proof) != simdjson::SUCCESS ||
      doc["index"].get(index) != simdjson::SUCCESS) {
    return bad;
  }
  // Standard padded base64 only, as the server writes it.
  std::optional<std::string> entry = Base64Decode(entry_b64);
  if (!entry || Base64Encode(*entry) != entry_b64) {
    return Status::InvalidArgument("certificate entry is not padded standard base64");
  }
  return CertificateFields{*entry, index, std::string(proof)};
}

// The time of the cosignature of `note` by the cosigner key `witness_text`; every line by that
// witness must verify (as for the log's own key) and at least one must be there.
Result<std::string> CheckWitness(const tlog::SplitNoteResult& note, std::string_view witness_text) {
  auto witness = tlog::ParseCosignerKey(witness_text);
  if (!witness.ok()) return Status::InvalidArgument("malformed witness key");
  std::string found;
  for (const tlog::NoteSignature& sig : note.signatures) {
    if (!tlog::SignedBy(sig, witness.value())) continue;
    auto time_s = tlog::VerifyCosignature(witness.value(), note.text, sig);
    if (!time_s.ok()) return time_s.status();
    found = witness->name + " at " + std::to_string(time_s.value());
  }
  if (found.empty()) {
    return Status::InvalidArgument("the checkpoint carries no cosignature by witness " +
                                   witness->name);
  }
  return found;
}

}  // namespace

Result<VerifiedCertificate> VerifyCertificate(std::string_view certificate_json,
                                              std::string_view verifier_key,
                                              const std::vector<std::string>& witnesses) {
  auto cert = ParseCertificateJson(certificate_json);
  if (!cert.ok()) return cert.status();
  auto key = tlog::ParseVerifierKey(verifier_key);
  if (!key.ok()) return key.status();
  auto proof = tlog::ParseProofText(cert->proof);
  if (!proof.ok()) return proof.status();
  if (proof->index != cert->index) {
    return Status::InvalidArgument("the proof's index differs from the certificate's");
  }
  auto text = tlog::OpenNote(proof->checkpoint, key.value());
  if (!text.ok()) return Status::InvalidArgument("checkpoint: " + text.status().message());
  auto checkpoint = tlog::ParseCheckpoint(text.value());
  if (!checkpoint.ok()) return checkpoint.status();
  if (checkpoint->origin != key->name) {
    return Status::InvalidArgument("the checkpoint's origin is not the key's name");
  }
  if (cert->index >= checkpoint->size) {
    return Status::InvalidArgument("the index is not below the checkpoint's tree size");
  }
  if (!tlog::VerifyInclusion(cert->index, checkpoint->size, tlog::LeafHash(cert->entry),
                             proof->hashes, checkpoint->root)) {
    return Status::InvalidArgument(
        "inclusion proof does not lead from the entry to the checkpoint's root");
  }
  VerifiedCertificate out;
  if (!witnesses.empty()) {
    auto split = tlog::SplitNote(proof->checkpoint);
    if (!split.ok()) return split.status();
    for (const std::string& w : witnesses) {
      auto found = CheckWitness(split.value(), w);
      if (!found.ok()) return found.status();
      out.witnessed.push_back(found.value());
    }
  }
  out.origin = checkpoint->origin;
  out.index = cert->index;
  out.tree_size = checkpoint->size;
  out.root_base64 = Base64Encode(tlog::HashBytes(checkpoint->root));
  out.entry = cert->entry;
  return out;
}

}  // namespace vigil
