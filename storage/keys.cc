// API keys: stored as hashes only, looked up by hash (storage/keys.h).
#include "storage/keys.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

ApiKeyRow ReadKey(SQLite::Statement& q) {
  ApiKeyRow k;
  ReadColumns(q, 0, k.key_id, k.key_prefix, k.name, k.created_at_ms, k.last_used_at_ms);
  return k;
}

AuthRecord ReadAuthRecord(SQLite::Statement& q) {
  AuthRecord r;
  ReadColumns(q, 0, r.key_id, r.project, r.project_id, r.suspended, r.suspended_reason,
              r.rate_limit_burst, r.rate_limit_per_sec, r.key_prefix);
  return r;
}

}  // namespace

Status UpsertKey(WriteTxn& txn, int64_t project, const std::string& key_id,
                 const std::string& key_hash, const std::string& key_prefix,
                 const std::string& name, int64_t now_ms) {
  return Execute(txn.conn(),
                 "INSERT INTO api_keys(key_id, project, key_hash, key_prefix, name, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET "
                 "key_hash = excluded.key_hash, key_prefix = excluded.key_prefix,"
                 " name = excluded.name WHERE api_keys.project = excluded.project",
                 key_id, project, key_hash, key_prefix, name, now_ms);
}

Result<int64_t> CountKeys(Txn& txn, int64_t project) {
  return SelectInt(txn.conn(), "SELECT COUNT(*) FROM api_keys WHERE project = ?", project);
}

Result<std::optional<std::string>> KeyName(Txn& txn, int64_t project, const std::string& key_id) {
  return SelectOne(txn.conn(), "SELECT name FROM api_keys WHERE project = ? AND key_id = ?",
                   TextAt0, project, key_id);
}

Result<bool> DeleteKey(WriteTxn& txn, int64_t project, const std::string& key_id) {
  return ChangedAny(txn.conn(), "DELETE FROM api_keys WHERE project = ? AND key_id = ?", project,
                    key_id);
}

Result<std::vector<ApiKeyRow>> ListKeys(Txn& txn, int64_t project) {
  return SelectAll(txn.conn(),
                   "SELECT key_id, key_prefix, name, created_at, COALESCE(last_used_at, 0)"
                   " FROM api_keys WHERE project = ? ORDER BY created_at DESC, key_id",
                   ReadKey, project);
}

Result<std::optional<AuthRecord>> FindKeyByHash(Txn& txn, const std::string& key_hash) {
  return SelectOne(txn.conn(),
                   "SELECT k.key_id, p.id, p.project_id, p.suspended_at IS NOT NULL,"
                   " COALESCE(p.suspended_reason, ''), p.rate_limit_burst, p.rate_limit_per_sec,"
                   " k.key_prefix FROM api_keys k JOIN projects p ON p.id = k.project"
                   " WHERE k.key_hash = ?",
                   ReadAuthRecord, key_hash);
}

Status TouchKeys(WriteTxn& txn, const std::vector<std::pair<std::string, int64_t>>& key_last_used) {
  return GuardSqlite([&] {
    for (const auto& [key_id, at] : key_last_used) {
      Exec(txn.conn(), "UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", at, key_id);
    }
    return Status::Ok();
  });
}

}  // namespace vigil::storage
