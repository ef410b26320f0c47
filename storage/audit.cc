// The audit log (storage/audit.h).
#include "storage/audit.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// The audit query of the filter `f`: the columns ReadAudit reads, the filter's conditions, then
// `tail` (more conditions, the order, the page), with every parameter bound. `tail` may name
// :after, :limit and :offset, which are bound from `f` as well.
SQLite::Statement AuditQuery(Connection* conn, const AuditFilter& f, const char* tail) {
  std::string sql =
      "SELECT a.audit_id, a.time, COALESCE(a.project, 0), COALESCE(p.project_id, ''), a.actor,"
      " a.key_id, a.action, a.method, a.path, COALESCE(a.status, 0), a.client_ip, a.detail"
      " FROM audit_log a LEFT JOIN projects p ON p.id = a.project";
  sql += f.all_projects ? " WHERE 1" : " WHERE a.project = :project";
  if (f.all_projects && f.project) sql += " AND a.project = :project";
  if (f.since_ms) sql += " AND a.time >= :since";
  if (f.until_ms) sql += " AND a.time <= :until";
  if (!f.action.empty()) sql += " AND a.action = :action";
  if (!f.exclude_action.empty()) sql += " AND a.action <> :exclude_action";
  sql += tail;
  SQLite::Statement q(conn->db(), sql);
  if (!f.all_projects || f.project) q.bind(":project", f.project);
  if (f.since_ms) q.bind(":since", *f.since_ms);
  if (f.until_ms) q.bind(":until", *f.until_ms);
  if (!f.action.empty()) q.bind(":action", f.action);
  if (!f.exclude_action.empty()) q.bind(":exclude_action", f.exclude_action);
  if (q.getIndex(":after") != 0) q.bind(":after", f.after_audit_id);
  if (q.getIndex(":limit") != 0) q.bind(":limit", f.limit);
  if (q.getIndex(":offset") != 0) q.bind(":offset", f.offset);
  return q;
}

AuditEntry ReadAudit(SQLite::Statement& q) {
  AuditEntry e;
  ReadColumns(q, 0, e.audit_id, e.time_ms, e.project, e.project_id, e.actor, e.key_id, e.action,
              e.method, e.path, e.status, e.client_ip, e.detail_json);
  return e;
}

// The rows of AuditQuery(conn, f, tail).
Result<std::vector<AuditEntry>> AuditRows(Connection* conn, const AuditFilter& f,
                                          const char* tail) {
  return Guarded([&] {
    SQLite::Statement q = AuditQuery(conn, f, tail);
    return AllRows(q, ReadAudit);
  });
}

}  // namespace

Status InsertAudit(WriteTxn& txn, const AuditEntry& e) {
  // A row queued for a project deleted meanwhile is dropped: it must not linger as an orphan.
  return Execute(txn.conn(),
                 "INSERT INTO audit_log(time, project, actor, key_id, action, method, path, status,"
                 " client_ip, detail) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
                 " WHERE ?2 IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = ?2)",
                 e.time_ms, NullIfZero{e.project}, e.actor, NullIfEmpty{e.key_id}, e.action,
                 NullIfEmpty{e.method}, NullIfEmpty{e.path}, NullIfZero{e.status},
                 NullIfEmpty{e.client_ip}, NullIfEmpty{e.detail_json});
}

Result<int64_t> PruneAudit(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return Changes(txn.conn(),
                 "DELETE FROM audit_log WHERE audit_id IN (SELECT audit_id FROM audit_log"
                 " WHERE time < ? ORDER BY time LIMIT ?)",
                 cutoff_ms, limit);
}

Result<std::vector<AuditEntry>> ListAudit(Txn& txn, const AuditFilter& f) {
  return AuditRows(txn.conn(), f, " ORDER BY a.audit_id DESC LIMIT :limit OFFSET :offset");
}

Result<std::vector<AuditEntry>> ListAuditAfter(Txn& txn, const AuditFilter& f) {
  return AuditRows(txn.conn(), f, " AND a.audit_id > :after ORDER BY a.audit_id LIMIT :limit");
}

Status ForEachAudit(Txn& txn, const AuditFilter& f,
                    const std::function<bool(const AuditEntry&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q = AuditQuery(txn.conn(), f, " ORDER BY a.audit_id");
    ForEachRow(q, ReadAudit, fn);
    return Status::Ok();
  });
}

}  // namespace vigil::storage
