// API keys: stored as hashes only, looked up by hash (storage/keys.h).
#include "storage/keys.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

std::optional<double> OptReal(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}

}  // namespace

Status UpsertKey(WriteTxn& txn, int64_t project, const std::string& key_id,
                 const std::string& key_hash, const std::string& key_prefix,
                 const std::string& name, int64_t now_ms) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(
        "INSERT INTO api_keys(key_id, project, key_hash, key_prefix, name, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET "
        "key_hash = excluded.key_hash, key_prefix = excluded.key_prefix, name = excluded.name "
        "WHERE api_keys.project = excluded.project");
    q.bind(1, key_id);
    q.bind(2, project);
    q.bind(3, key_hash);
    q.bind(4, key_prefix);
    q.bind(5, name);
    q.bind(6, now_ms);
    q.exec();
    return Status::Ok();
  });
}

Result<int64_t> CountKeys(Txn& txn, int64_t project) {
  return Query<int64_t>([&](int64_t& n) {
    auto& q = txn.conn()->Prepare("SELECT COUNT(*) FROM api_keys WHERE project = ?");
    q.bind(1, project);
    if (q.executeStep()) n = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Result<std::optional<std::string>> KeyName(Txn& txn, int64_t project, const std::string& key_id) {
  return Query<std::optional<std::string>>([&](std::optional<std::string>& name) {
    auto& q = txn.conn()->Prepare("SELECT name FROM api_keys WHERE project = ? AND key_id = ?");
    q.bind(1, project);
    q.bind(2, key_id);
    if (q.executeStep()) name = q.getColumn(0).getString();
    return Status::Ok();
  });
}

Result<bool> DeleteKey(WriteTxn& txn, int64_t project, const std::string& key_id) {
  return Query<bool>([&](bool& deleted) {
    auto& q = txn.conn()->Prepare("DELETE FROM api_keys WHERE project = ? AND key_id = ?");
    q.bind(1, project);
    q.bind(2, key_id);
    deleted = q.exec() == 1;
    return Status::Ok();
  });
}

Result<std::vector<ApiKeyRow>> ListKeys(Txn& txn, int64_t project) {
  return Query<std::vector<ApiKeyRow>>([&](std::vector<ApiKeyRow>& out) {
    auto& q = txn.conn()->Prepare(
        "SELECT key_id, key_prefix, name, created_at, COALESCE(last_used_at, 0) FROM api_keys"
        " WHERE project = ? ORDER BY created_at DESC, key_id");
    q.bind(1, project);
    while (q.executeStep()) {
      ApiKeyRow k;
      k.key_id = q.getColumn(0).getString();
      k.key_prefix = q.getColumn(1).getString();
      k.name = q.getColumn(2).getString();
      k.created_at_ms = q.getColumn(3).getInt64();
      k.last_used_at_ms = q.getColumn(4).getInt64();
      out.push_back(std::move(k));
    }
    return Status::Ok();
  });
}

Result<std::optional<AuthRecord>> FindKeyByHash(Txn& txn, const std::string& key_hash) {
  return Query<std::optional<AuthRecord>>([&](std::optional<AuthRecord>& rec) {
    auto& q = txn.conn()->Prepare(
        "SELECT k.key_id, p.id, p.project_id, p.suspended_at IS NOT NULL,"
        " COALESCE(p.suspended_reason, ''), p.rate_limit_burst, p.rate_limit_per_sec,"
        " k.key_prefix FROM api_keys k JOIN projects p ON p.id = k.project WHERE k.key_hash = ?");
    q.bind(1, key_hash);
    if (q.executeStep()) {
      AuthRecord r;
      r.key_id = q.getColumn(0).getString();
      r.project = q.getColumn(1).getInt64();
      r.project_id = q.getColumn(2).getString();
      r.suspended = q.getColumn(3).getInt() != 0;
      r.suspended_reason = q.getColumn(4).getString();
      r.rate_limit_burst = OptReal(q, 5);
      r.rate_limit_per_sec = OptReal(q, 6);
      r.key_prefix = q.getColumn(7).getString();
      rec = std::move(r);
    }
    return Status::Ok();
  });
}

Status TouchKeys(WriteTxn& txn, const std::vector<std::pair<std::string, int64_t>>& key_last_used) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?");
    for (const auto& [key_id, at] : key_last_used) {
      q.reset();
      q.bind(1, at);
      q.bind(2, key_id);
      q.exec();
    }
    return Status::Ok();
  });
}

}  // namespace vigil::storage
