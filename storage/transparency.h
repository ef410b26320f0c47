// The transparency logs (docs/transparency.md): the server's signing keys, one append-only log per
// project (entries and the hashes of complete subtrees), its signed checkpoints, and the queue of
// terminal executions waiting to be sealed (filled by triggers in the transaction that makes an
// execution terminal: storage/migrations/014_transparency.sql).
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h. Signing keys and the
// sealing queue are server-wide: the functions over them are cross-tenant by design (the sealer
// and start-up serve every project), and say so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"
#include "domain/tlog/merkle.h"
#include "storage/txn.h"

namespace vigil::storage {

// --- signing keys (cross-tenant: one server key signs every project's log under its origin) ---
struct TransparencyKeyRow {
  int64_t id = 0;
  std::string public_key;  // 32 bytes
  std::string seed_blob;   // the Ed25519 seed sealed under the master key (domain/secret_box.h)
  int64_t created_at_ms = 0;
};
// Every key, newest first (the first one signs).
Result<std::vector<TransparencyKeyRow>> ListTransparencyKeys(Txn& txn);
Status InsertTransparencyKey(WriteTxn& txn, const TransparencyKeyRow& key);
// Replaces the key's sealed seed only while it still equals `old_blob` (compare-and-swap, as for
// webhook secrets).
Status ReplaceTransparencyKeySeal(WriteTxn& txn, int64_t key_id, const std::string& old_blob,
                                  const std::string& new_blob);

// --- a project's log ---
struct TransparencyLogRow {
  std::string origin;
  uint64_t size = 0;
};
Result<std::optional<TransparencyLogRow>> GetTransparencyLog(Txn& txn, int64_t project);
// The internal ids of every project that has a log, deleted ones included (cross-tenant: the
// audit check walks every log).
Result<std::vector<int64_t>> ListTransparencyProjects(Txn& txn);

struct SealRecord {
  uint64_t index = 0;
  std::string execution_id;
  std::string entry;
  int64_t last_event = 0;  // the highest event row in the sealed transcript (0 = none)
  int64_t sealed_revision = 0;
  int64_t sealed_at_ms = 0;
};
// Appends `seal` (its index is assigned: the log's size) with its leaf hash and the subtree hashes
// it completes, creating the log with `origin` when the project has none (an existing log keeps its
// origin). Returns the index. Conflict when the execution is sealed already.
Result<uint64_t> AppendTransparencyEntry(WriteTxn& txn, int64_t project, const std::string& origin,
                                         const SealRecord& seal, int64_t now_ms);
// The seal of the project's execution `execution_id`, or nullopt.
Result<std::optional<SealRecord>> FindSeal(Txn& txn, int64_t project,
                                           const std::string& execution_id);
// The project's seals with index >= `first`, in index order, at most `limit`.
Result<std::vector<SealRecord>> ListSeals(Txn& txn, int64_t project, uint64_t first, int64_t limit);
// The hash of the complete subtree (level, index) of the project's log; Internal when absent (a
// caller asks only for subtrees its tree size holds).
Result<tlog::Hash> LoadTreeNode(Txn& txn, int64_t project, int level, uint64_t index);
// LoadTreeNode as a NodeSource over `txn` (valid while the transaction is).
tlog::NodeSource TreeNodes(Txn& txn, int64_t project);

// Whether the project's execution `execution_id` is terminal; nullopt when it does not exist.
Result<std::optional<bool>> ExecutionIsTerminal(Txn& txn, int64_t project,
                                                const std::string& execution_id);

// --- checkpoints ---
struct CheckpointRow {
  uint64_t size = 0;
  std::string note;
  int64_t signed_at_ms = 0;
};
// The project's largest checkpoint, or nullopt.
Result<std::optional<CheckpointRow>> LatestCheckpoint(Txn& txn, int64_t project);
// The project's checkpoint of tree size `size`, or nullopt.
Result<std::optional<CheckpointRow>> CheckpointOfSize(Txn& txn, int64_t project, uint64_t size);
// The project's largest checkpoint of at least `min_size` entries that a witness cosigned, or
// nullopt.
Result<std::optional<CheckpointRow>> LatestCosignedCheckpoint(Txn& txn, int64_t project,
                                                              uint64_t min_size);
// Stores a checkpoint, replacing one of the same size (the same tree, signed again after a key
// rotation: the newest key's signature is served).
Status InsertCheckpoint(WriteTxn& txn, int64_t project, const CheckpointRow& c);

// --- witness cosignatures of checkpoints (storage/migrations/015_transparency_witnesses.sql) ---
struct CosignatureRow {
  uint64_t size = 0;
  std::string witness;    // the witness key's name
  std::string key_id;     // 4 bytes
  std::string signature;  // timestamped_signature
  int64_t cosigned_at_s = 0;
  int64_t received_at_ms = 0;
};
// Stores a verified cosignature; false when that witness key already cosigned that checkpoint
// (the first is kept).
Result<bool> InsertCosignature(WriteTxn& txn, int64_t project, const CosignatureRow& c);
// The cosignatures of the project's checkpoint of size `size`, by witness name and key id.
Result<std::vector<CosignatureRow>> ListCosignatures(Txn& txn, int64_t project, uint64_t size);

// --- the sealing queue (cross-tenant: the sealer serves every project) ---
struct PendingSeal {
  int64_t id = 0;  // queue order: the order the executions ended
  int64_t project = 0;
  std::string project_id;  // "" when the project was deleted
  std::string execution_id;
};
// Up to `limit` queued executions after queue position `after_id`, in the order they ended.
Result<std::vector<PendingSeal>> ListPendingSeals(Txn& txn, int64_t after_id, int64_t limit);
Status DropPendingSeal(WriteTxn& txn, int64_t project, const std::string& execution_id);

}  // namespace vigil::storage
