// The transparency logs (storage/transparency.h).
#include "storage/transparency.h"

#include "storage/connection.h"
#include "storage/sql.h"

namespace vigil::storage {
namespace {

std::string BlobColumn(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  if (c.isNull()) return std::string();
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

TransparencyKeyRow ReadKeyRow(SQLite::Statement& q) {
  TransparencyKeyRow k;
  k.id = q.getColumn(0).getInt64();
  k.public_key = BlobColumn(q, 1);
  k.seed_blob = BlobColumn(q, 2);
  k.created_at_ms = q.getColumn(3).getInt64();
  return k;
}

#define VIGIL_SEAL_COLUMNS "idx, execution_id, entry, last_event, sealed_revision, sealed_at"

SealRecord ReadSealRow(SQLite::Statement& q) {
  SealRecord s;
  s.index = static_cast<uint64_t>(q.getColumn(0).getInt64());
  s.execution_id = Text(q, 1);
  s.entry = BlobColumn(q, 2);
  ReadColumns(q, 3, s.last_event, s.sealed_revision, s.sealed_at_ms);
  return s;
}

CheckpointRow ReadCheckpointRow(SQLite::Statement& q) {
  return CheckpointRow{static_cast<uint64_t>(q.getColumn(0).getInt64()), Text(q, 1),
                       q.getColumn(2).getInt64()};
}

}  // namespace

Result<std::vector<TransparencyKeyRow>> ListTransparencyKeys(Txn& txn) {
  return SelectAll(txn.conn(),
                   "SELECT id, public_key, seed_enc, created_at FROM transparency_keys"
                   " ORDER BY id DESC",
                   ReadKeyRow);
}

Status InsertTransparencyKey(WriteTxn& txn, const TransparencyKeyRow& key) {
  return Execute(
      txn.conn(),
      "INSERT INTO transparency_keys (public_key, seed_enc, created_at) VALUES (?, ?, ?)",
      AsBlob{key.public_key}, AsBlob{key.seed_blob}, key.created_at_ms);
}

Status ReplaceTransparencyKeySeal(WriteTxn& txn, int64_t key_id, const std::string& old_blob,
                                  const std::string& new_blob) {
  return Execute(txn.conn(),
                 "UPDATE transparency_keys SET seed_enc = ? WHERE id = ? AND seed_enc = ?",
                 AsBlob{new_blob}, key_id, AsBlob{old_blob});
}

Result<std::optional<TransparencyLogRow>> GetTransparencyLog(Txn& txn, int64_t project) {
  return SelectOne(
      txn.conn(), "SELECT origin, size FROM transparency_logs WHERE project = ?",
      [](SQLite::Statement& q) {
        return TransparencyLogRow{Text(q, 0), static_cast<uint64_t>(q.getColumn(1).getInt64())};
      },
      project);
}

Result<std::vector<int64_t>> ListTransparencyProjects(Txn& txn) {
  return SelectAll(txn.conn(), "SELECT project FROM transparency_logs ORDER BY project", IntAt0);
}

Result<uint64_t> AppendTransparencyEntry(WriteTxn& txn, int64_t project, const std::string& origin,
                                         const SealRecord& seal, int64_t now_ms) {
  Connection* conn = txn.conn();
  auto log = GetTransparencyLog(txn, project);
  if (!log.ok()) return log.status();
  if (!log.value()) {
    Status s = Execute(conn,
                       "INSERT INTO transparency_logs (project, origin, size, created_at)"
                       " VALUES (?, ?, 0, ?)",
                       project, origin, now_ms);
    if (!s.ok()) return s;
  }
  // Answered from the (project, execution_id) index alone, without reading the entry.
  auto sealed =
      SelectOne(conn, "SELECT 1 FROM transparency_entries WHERE project = ? AND execution_id = ?",
                IntAt0, project, seal.execution_id);
  if (!sealed.ok()) return sealed.status();
  if (sealed.value()) return Status::Conflict("execution is sealed already");
  const uint64_t index = log.value() ? log.value()->size : 0;
  auto nodes = tlog::CompletedNodes(index, tlog::LeafHash(seal.entry), TreeNodes(txn, project));
  if (!nodes.ok()) return nodes.status();
  return Guarded([&]() -> uint64_t {
    const auto idx = static_cast<int64_t>(index);
    Exec(conn,
         "INSERT INTO transparency_entries (project, idx, execution_id, entry, last_event,"
         " sealed_revision, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
         project, idx, seal.execution_id, AsBlob{seal.entry}, seal.last_event, seal.sealed_revision,
         now_ms);
    for (size_t level = 0; level < nodes.value().size(); ++level) {
      const std::string hash = tlog::HashBytes(nodes.value()[level]);
      Exec(conn, "INSERT INTO transparency_nodes (project, level, idx, hash) VALUES (?, ?, ?, ?)",
           project, static_cast<int64_t>(level), static_cast<int64_t>(index >> level),
           AsBlob{hash});
    }
    Exec(conn, "UPDATE transparency_logs SET size = size + 1 WHERE project = ?", project);
    return index;
  });
}

Result<std::optional<SealRecord>> FindSeal(Txn& txn, int64_t project,
                                           const std::string& execution_id) {
  return SelectOne(txn.conn(),
                   "SELECT " VIGIL_SEAL_COLUMNS
                   " FROM transparency_entries WHERE project = ? AND execution_id = ?",
                   ReadSealRow, project, execution_id);
}

Result<std::vector<SealRecord>> ListSeals(Txn& txn, int64_t project, uint64_t first,
                                          int64_t limit) {
  return SelectAll(txn.conn(),
                   "SELECT " VIGIL_SEAL_COLUMNS
                   " FROM transparency_entries WHERE project = ? AND idx >= ? ORDER BY idx"
                   " LIMIT ?",
                   ReadSealRow, project, static_cast<int64_t>(first), limit);
}

Result<tlog::Hash> LoadTreeNode(Txn& txn, int64_t project, int level, uint64_t index) {
  auto row = SelectOne(
      txn.conn(),
      "SELECT hash FROM transparency_nodes WHERE project = ? AND level = ?"
      " AND idx = ?",
      [](SQLite::Statement& q) { return BlobColumn(q, 0); }, project, level,
      static_cast<int64_t>(index));
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::Internal("transparency log is missing a subtree hash");
  auto hash = tlog::HashFromBytes(*row.value());
  if (!hash.ok()) return Status::Internal("transparency log holds a malformed hash");
  return hash;
}

tlog::NodeSource TreeNodes(Txn& txn, int64_t project) {
  return [&txn, project](int level, uint64_t index) {
    return LoadTreeNode(txn, project, level, index);
  };
}

Result<std::optional<bool>> ExecutionIsTerminal(Txn& txn, int64_t project,
                                                const std::string& execution_id) {
  return SelectOne(
      txn.conn(), "SELECT status FROM executions WHERE project = ? AND execution_id = ?",
      [](SQLite::Statement& q) { return IsTerminal(ExecutionStatusColumn(q, 0)); }, project,
      execution_id);
}

Result<std::optional<CheckpointRow>> LatestCheckpoint(Txn& txn, int64_t project) {
  return SelectOne(txn.conn(),
                   "SELECT size, note, signed_at FROM transparency_checkpoints WHERE project = ?"
                   " ORDER BY size DESC LIMIT 1",
                   ReadCheckpointRow, project);
}

Result<std::optional<CheckpointRow>> CheckpointOfSize(Txn& txn, int64_t project, uint64_t size) {
  return SelectOne(
      txn.conn(),
      "SELECT size, note, signed_at FROM transparency_checkpoints WHERE project = ? AND size = ?",
      ReadCheckpointRow, project, static_cast<int64_t>(size));
}

Result<std::optional<CheckpointRow>> LatestCosignedCheckpoint(Txn& txn, int64_t project,
                                                              uint64_t min_size) {
  return SelectOne(
      txn.conn(),
      "SELECT c.size, c.note, c.signed_at FROM transparency_checkpoints c"
      " WHERE c.project = ? AND c.size >= ? AND EXISTS (SELECT 1 FROM transparency_cosignatures w"
      " WHERE w.project = c.project AND w.size = c.size) ORDER BY c.size DESC LIMIT 1",
      ReadCheckpointRow, project, static_cast<int64_t>(min_size));
}

Status InsertCheckpoint(WriteTxn& txn, int64_t project, const CheckpointRow& c) {
  return Execute(txn.conn(),
                 "INSERT INTO transparency_checkpoints (project, size, note, signed_at)"
                 " VALUES (?, ?, ?, ?) ON CONFLICT (project, size) DO UPDATE SET"
                 " note = excluded.note, signed_at = excluded.signed_at",
                 project, static_cast<int64_t>(c.size), c.note, c.signed_at_ms);
}

Result<bool> InsertCosignature(WriteTxn& txn, int64_t project, const CosignatureRow& c) {
  return ChangedAny(
      txn.conn(),
      "INSERT OR IGNORE INTO transparency_cosignatures (project, size, witness, key_id,"
      " signature, cosigned_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      project, static_cast<int64_t>(c.size), c.witness, AsBlob{c.key_id}, AsBlob{c.signature},
      c.cosigned_at_s, c.received_at_ms);
}

Result<std::vector<CosignatureRow>> ListCosignatures(Txn& txn, int64_t project, uint64_t size) {
  return SelectAll(
      txn.conn(),
      "SELECT size, witness, key_id, signature, cosigned_at, received_at"
      " FROM transparency_cosignatures WHERE project = ? AND size = ? ORDER BY witness, key_id",
      [](SQLite::Statement& q) {
        CosignatureRow c;
        c.size = static_cast<uint64_t>(q.getColumn(0).getInt64());
        c.witness = Text(q, 1);
        c.key_id = BlobColumn(q, 2);
        c.signature = BlobColumn(q, 3);
        ReadColumns(q, 4, c.cosigned_at_s, c.received_at_ms);
        return c;
      },
      project, static_cast<int64_t>(size));
}

Result<std::vector<PendingSeal>> ListPendingSeals(Txn& txn, int64_t after_id, int64_t limit) {
  return SelectAll(
      txn.conn(),
      "SELECT t.id, t.project, COALESCE(p.project_id, ''), t.execution_id"
      " FROM transparency_pending t LEFT JOIN projects p ON p.id = t.project"
      " WHERE t.id > ? ORDER BY t.id LIMIT ?",
      [](SQLite::Statement& q) {
        PendingSeal p;
        ReadColumns(q, 0, p.id, p.project, p.project_id, p.execution_id);
        return p;
      },
      after_id, limit);
}

Status DropPendingSeal(WriteTxn& txn, int64_t project, const std::string& execution_id) {
  return Execute(txn.conn(),
                 "DELETE FROM transparency_pending WHERE project = ? AND execution_id = ?", project,
                 execution_id);
}

}  // namespace vigil::storage
