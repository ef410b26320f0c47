// The project transparency logs as the read API and the certificates serve them
// (docs/transparency.md): the signing key, signed checkpoints, proofs, tiles, certificates.
//
// One Ed25519 key, generated at first start with a master key and kept sealed under it, signs
// every project's checkpoints under the project's own origin "<host>/vigil/<project_id>". Without
// a usable key every method answers NotConfigured ("transparency log needs VIGIL_MASTER_KEY");
// entries are still appended (server/transparency/sealer.h).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/secret_box.h"
#include "domain/status.h"
#include "domain/tlog/merkle.h"
#include "domain/tlog/note.h"
#include "domain/tlog/tiles.h"
#include "storage/store.h"
#include "storage/transparency.h"

namespace vigil {

// Associated data of the sealed signing key: "vigil/transparency-key/v1" ‖ 0x00 ‖ public key.
std::string TransparencyKeyAad(std::string_view public_key);

// Start-up and `vigil reencrypt`: every stored signing key must open under a configured key; keys
// under a previous master key are re-sealed under VIGIL_MASTER_KEY. Returns how many were.
Result<int64_t> ReencryptTransparencyKeys(Store& store, const SecretBox& box);

// Whether the log's signature on the checkpoint `note` is by `public_key` (its key id): one signed
// before a key rotation is signed again by the new key.
bool NoteSignedByKey(const std::string& note, const std::string& public_key);

struct Certificate {
  std::string entry;
  uint64_t index = 0;
  std::string proof;  // C2SP tlog-proof text
};

class Transparency {
 public:
  // `host` names the logs: origin = host + "/vigil/" + project_id. `witnesses` are the cosigner
  // keys (domain/tlog/cosignature.h) whose cosignatures the logs accept.
  Transparency(Store* store, SecretBox box, std::string host,
               std::vector<tlog::VerifierKey> witnesses = {});

  // Loads the newest signing key, generating one when a master key is configured and none is
  // stored. Without a master key, or when the stored key opens under none of the configured ones:
  // Ok, and the log stays keyless (NotConfigured below).
  Status LoadKey(int64_t now_ms);
  // Adds a new signing key, sealed under the master key, and returns its public key; the server
  // signs with it from its next start (`vigil transparency rotate-key`). NotConfigured without a
  // master key.
  Result<std::string> RotateKey(int64_t now_ms);
  bool has_key() const;
  std::string Origin(const std::string& project_id) const;

  // The verifier key of the project's log (C2SP signed-note form).
  Result<std::string> VerifierKey(const std::string& project_id) const;
  // A signed checkpoint of the project's log covering at least `min_size` entries: the stored one
  // when it still is the newest tree (signed by the current key) or was signed less than a second
  // ago, else a new one; with the witness cosignatures stored for it as further signature lines.
  Result<std::string> Checkpoint(int64_t project, const std::string& project_id, uint64_t min_size,
                                 int64_t now_ms);
  // Checkpoint covering every entry appended so far (exports prove their certificates against it).
  Result<std::string> FullCheckpoint(int64_t project, const std::string& project_id,
                                     int64_t now_ms);
  // Signs a checkpoint for the current tree when it has grown and the last one is a second old.
  Status MaybeSign(int64_t project, const std::string& project_id, int64_t now_ms);

  // Stores the cosignatures of configured witnesses carried by `note`: the project's checkpoint
  // as served, with the witnesses' signature lines (docs/transparency.md#witnesses). Returns how
  // many were new and the checkpoint with every cosignature it now carries. Forbidden when no
  // witness is configured; NotFound when the log never served a checkpoint of that size;
  // InvalidArgument for a malformed note, another checkpoint body, a line by an unknown key or a
  // cosignature that does not verify (nothing is stored then).
  struct Cosigned {
    int64_t added = 0;
    std::string checkpoint;
  };
  Result<Cosigned> AddCosignatures(int64_t project, std::string_view note, int64_t now_ms);

  Result<std::vector<tlog::Hash>> InclusionProof(int64_t project, uint64_t index,
                                                 uint64_t tree_size);
  Result<std::vector<tlog::Hash>> ConsistencyProof(int64_t project, uint64_t from, uint64_t to);
  // The bytes of a tile or entry bundle; NotFound when the log does not hold it at that width.
  Result<std::string> Tile(int64_t project, const tlog::TilePath& path);
  // The certificate of a sealed execution. NotFound for an unknown execution (or another
  // project's); Conflict while it runs or waits to be sealed.
  Result<Certificate> CertificateOf(int64_t project, const std::string& project_id,
                                    const std::string& execution_id, int64_t now_ms);

 private:
  struct Key {
    std::string seed;
    std::string public_key;
  };
  std::optional<Key> key() const;
  Status NeedKey() const;
  // The tree size of the project's log (0 when it has none).
  Result<uint64_t> TreeSize(int64_t project);
  Result<std::string> SignCheckpoint(int64_t project, const std::string& project_id,
                                     int64_t now_ms);
  // Checkpoint without the cosignatures.
  Result<std::string> LogCheckpoint(int64_t project, const std::string& project_id,
                                    uint64_t min_size, int64_t now_ms);
  // The checkpoint a certificate of entry `min_size - 1` carries: the largest one covering it
  // that a witness cosigned, when it is signed by the current key; else Checkpoint.
  Result<std::string> CertificateCheckpoint(int64_t project, const std::string& project_id,
                                            uint64_t min_size, int64_t now_ms);
  // `note` (a checkpoint the log signed) followed by its stored cosignature lines.
  Result<std::string> WithCosignatures(int64_t project, std::string note);
  // The cosignature rows of `note`'s lines by configured witnesses, and the log's stored note of
  // that checkpoint in `stored` (server/transparency/witnesses.cc).
  Result<std::vector<storage::CosignatureRow>> VerifiedCosignatures(
      int64_t project, const tlog::SplitNoteResult& note, int64_t now_ms, std::string* stored);

  Store* store_;
  SecretBox box_;
  std::string host_;
  mutable std::mutex mu_;
  std::optional<Key> key_;
  const std::vector<tlog::VerifierKey> witnesses_;
};

}  // namespace vigil
