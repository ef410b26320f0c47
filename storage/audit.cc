// The audit log (storage/audit.h).
#include "storage/audit.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// Shared WHERE clause of the audit queries; binds from parameter 1 and returns the next index.
std::string AuditWhere(const AuditFilter& f) {
  std::string w = f.all_projects ? " WHERE 1" : " WHERE a.project = :project";
  if (f.all_projects && f.project) w += " AND a.project = :project";
  if (f.since_ms) w += " AND a.time >= :since";
  if (f.until_ms) w += " AND a.time <= :until";
  if (!f.action.empty()) w += " AND a.action = :action";
  return w;
}

void BindAudit(SQLite::Statement& q, const AuditFilter& f) {
  if (!f.all_projects || f.project) q.bind(":project", f.project);
  if (f.since_ms) q.bind(":since", *f.since_ms);
  if (f.until_ms) q.bind(":until", *f.until_ms);
  if (!f.action.empty()) q.bind(":action", f.action);
}

constexpr char kAuditColumns[] =
    "SELECT a.audit_id, a.time, COALESCE(a.project, 0), COALESCE(p.project_id, ''), a.actor,"
    " a.key_id, a.action, a.method, a.path, COALESCE(a.status, 0), a.client_ip, a.detail"
    " FROM audit_log a LEFT JOIN projects p ON p.id = a.project";

AuditEntry ReadAudit(SQLite::Statement& q) {
  AuditEntry e;
  e.audit_id = q.getColumn(0).getInt64();
  e.time_ms = q.getColumn(1).getInt64();
  e.project = q.getColumn(2).getInt64();
  e.project_id = q.getColumn(3).getString();
  e.actor = q.getColumn(4).getString();
  e.key_id = Text(q, 5);
  e.action = q.getColumn(6).getString();
  e.method = Text(q, 7);
  e.path = Text(q, 8);
  e.status = q.getColumn(9).getInt();
  e.client_ip = Text(q, 10);
  e.detail_json = Text(q, 11);
  return e;
}

}  // namespace

Status InsertAudit(WriteTxn& txn, const AuditEntry& e) {
  return GuardSqlite([&] {
    // A row queued for a project deleted meanwhile is dropped: it must not linger as an orphan.
    auto& q = txn.conn()->Prepare(
        "INSERT INTO audit_log(time, project, actor, key_id, action, method, path, status,"
        " client_ip, detail) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
        " WHERE ?2 IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = ?2)");
    q.bind(1, e.time_ms);
    BindInt(q, 2, e.project);
    q.bind(3, e.actor);
    BindText(q, 4, e.key_id);
    q.bind(5, e.action);
    BindText(q, 6, e.method);
    BindText(q, 7, e.path);
    BindInt(q, 8, e.status);
    BindText(q, 9, e.client_ip);
    BindText(q, 10, e.detail_json);
    q.exec();
    return Status::Ok();
  });
}

Result<int64_t> PruneAudit(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(txn.conn(),
                          "DELETE FROM audit_log WHERE audit_id IN (SELECT audit_id FROM audit_log"
                          " WHERE time < ? ORDER BY time LIMIT ?)",
                          cutoff_ms, limit);
}

Result<std::vector<AuditEntry>> ListAudit(Txn& txn, const AuditFilter& f) {
  return Query<std::vector<AuditEntry>>([&](std::vector<AuditEntry>& out) {
    SQLite::Statement q(txn.conn()->db(),
                        std::string(kAuditColumns) + AuditWhere(f) +
                            " ORDER BY a.audit_id DESC LIMIT :limit OFFSET :offset");
    BindAudit(q, f);
    q.bind(":limit", f.limit);
    q.bind(":offset", f.offset);
    while (q.executeStep()) out.push_back(ReadAudit(q));
    return Status::Ok();
  });
}

Result<std::vector<AuditEntry>> ListAuditAfter(Txn& txn, const AuditFilter& f) {
  return Query<std::vector<AuditEntry>>([&](std::vector<AuditEntry>& out) {
    SQLite::Statement q(txn.conn()->db(), std::string(kAuditColumns) + AuditWhere(f) +
                                              " AND a.audit_id > :after ORDER BY a.audit_id"
                                              " LIMIT :limit");
    BindAudit(q, f);
    q.bind(":after", f.after_audit_id);
    q.bind(":limit", f.limit);
    while (q.executeStep()) out.push_back(ReadAudit(q));
    return Status::Ok();
  });
}

Status ForEachAudit(Txn& txn, const AuditFilter& f,
                    const std::function<bool(const AuditEntry&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(txn.conn()->db(),
                        std::string(kAuditColumns) + AuditWhere(f) + " ORDER BY a.audit_id");
    BindAudit(q, f);
    while (q.executeStep()) {
      if (!fn(ReadAudit(q))) break;
    }
    return Status::Ok();
  });
}

}  // namespace vigil::storage
