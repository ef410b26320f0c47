// Storage for the audit log, billing state, abuse signals and project export (spec §11-13).
#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace vigil {
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

#define VIGIL_ABUSE_SELECT                                                                    \
  "SELECT s.signal_id, s.project, p.project_id, s.kind, s.severity, s.detail, s.detected_at," \
  " COALESCE(s.notified_at, 0), COALESCE(s.suspended_at, 0), COALESCE(s.resolved_at, 0),"     \
  " s.resolved_by, s.resolution_note FROM abuse_signals s JOIN projects p ON p.id = s.project"

AbuseSignal ReadAbuse(SQLite::Statement& q) {
  AbuseSignal a;
  a.signal_id = q.getColumn(0).getString();
  a.project = q.getColumn(1).getInt64();
  a.project_id = q.getColumn(2).getString();
  a.kind = q.getColumn(3).getString();
  a.severity = q.getColumn(4).getString();
  a.detail_json = Text(q, 5);
  a.detected_at_ms = q.getColumn(6).getInt64();
  a.notified_at_ms = q.getColumn(7).getInt64();
  a.suspended_at_ms = q.getColumn(8).getInt64();
  a.resolved_at_ms = q.getColumn(9).getInt64();
  a.resolved_by = Text(q, 10);
  a.resolution_note = Text(q, 11);
  return a;
}

}  // namespace

// --- WriteTxn ----------------------------------------------------------------------------------

Status WriteTxn::InsertAudit(const AuditEntry& e) {
  return GuardSqlite([&] {
    // A row queued for a project deleted meanwhile is dropped: it must not linger as an orphan.
    auto& q = conn_->Prepare(
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

Result<int64_t> WriteTxn::PruneAudit(int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(conn_,
                          "DELETE FROM audit_log WHERE audit_id IN (SELECT audit_id FROM audit_log"
                          " WHERE time < ? ORDER BY time LIMIT ?)",
                          cutoff_ms, limit);
}

Result<bool> WriteTxn::RecordStripeEvent(const std::string& event_id, const std::string& type,
                                         int64_t project, int64_t now_ms) {
  bool inserted = false;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "INSERT OR IGNORE INTO stripe_events(event_id, type, project, received_at)"
        " VALUES (?, ?, ?, ?)");
    q.bind(1, event_id);
    q.bind(2, type);
    BindInt(q, 3, project);
    q.bind(4, now_ms);
    inserted = q.exec() == 1;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return inserted;
}

Result<int64_t> WriteTxn::PruneStripeEvents(int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(conn_,
                          "DELETE FROM stripe_events WHERE event_id IN (SELECT event_id FROM"
                          " stripe_events WHERE received_at < ? LIMIT ?)",
                          cutoff_ms, limit);
}

Result<std::optional<int64_t>> WriteTxn::FindProjectId(const std::string& project_id) {
  std::optional<int64_t> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT id FROM projects WHERE project_id = ?");
    q.bind(1, project_id);
    if (q.executeStep()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<int64_t>> WriteTxn::FindProjectByCustomer(const std::string& customer_id) {
  std::optional<int64_t> out;
  Status s = GuardSqlite([&] {
    auto& q =
        conn_->Prepare("SELECT id FROM projects WHERE stripe_customer_id = ? ORDER BY id LIMIT 1");
    q.bind(1, customer_id);
    if (q.executeStep()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status WriteTxn::ApplyBilling(int64_t project, const BillingUpdate& u) {
  return GuardSqlite([&] {
    if (!u.only_for_subscription.empty()) {
      auto& q = conn_->Prepare("SELECT stripe_subscription_id FROM projects WHERE id = ?");
      q.bind(1, project);
      if (!q.executeStep()) return Status::Ok();
      const std::string stored = Text(q, 0);
      q.reset();
      if (!stored.empty() && stored != u.only_for_subscription) return Status::Ok();
    }
    if (u.tier) {
      // A tier set by billing is not a time-limited admin grant: its expiry goes.
      auto& q = conn_->Prepare("UPDATE projects SET tier = ?, tier_expires_at = NULL WHERE id = ?");
      q.bind(1, *u.tier);
      q.bind(2, project);
      q.exec();
    }
    if (u.customer_id) {
      auto& q = conn_->Prepare("UPDATE projects SET stripe_customer_id = ? WHERE id = ?");
      BindText(q, 1, *u.customer_id);
      q.bind(2, project);
      q.exec();
    }
    if (u.subscription_id) {
      auto& q = conn_->Prepare("UPDATE projects SET stripe_subscription_id = ? WHERE id = ?");
      BindText(q, 1, *u.subscription_id);
      q.bind(2, project);
      q.exec();
    }
    if (u.set_period) {
      auto& q = conn_->Prepare(
          "UPDATE projects SET current_period_start = ?, current_period_end = ? WHERE id = ?");
      BindInt(q, 1, u.period_start_ms);
      BindInt(q, 2, u.period_end_ms);
      q.bind(3, project);
      q.exec();
    }
    if (u.reset_usage) {
      auto& q = conn_->Prepare("UPDATE projects SET executions_this_period = 0 WHERE id = ?");
      q.bind(1, project);
      q.exec();
    }
    return Status::Ok();
  });
}

Status WriteTxn::InsertAbuseSignal(const AbuseSignal& a) {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "INSERT INTO abuse_signals(signal_id, project, kind, severity, detail, detected_at,"
        " notified_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, a.signal_id);
    q.bind(2, a.project);
    q.bind(3, a.kind);
    q.bind(4, a.severity);
    BindText(q, 5, a.detail_json);
    q.bind(6, a.detected_at_ms);
    BindInt(q, 7, a.notified_at_ms);
    q.exec();
    return Status::Ok();
  });
}

Result<std::optional<AbuseSignal>> WriteTxn::ResolveAbuseSignal(const std::string& signal_id,
                                                                const std::string& note,
                                                                bool reactivate, int64_t now_ms,
                                                                bool* reactivated) {
  std::optional<AbuseSignal> out;
  *reactivated = false;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(VIGIL_ABUSE_SELECT " WHERE s.signal_id = ?");
    q.bind(1, signal_id);
    if (!q.executeStep()) return Status::Ok();
    out = ReadAbuse(q);
    q.reset();
    auto& u = conn_->Prepare(
        "UPDATE abuse_signals SET resolved_at = ?, resolved_by = 'admin', resolution_note = ?"
        " WHERE signal_id = ?");
    u.bind(1, now_ms);
    BindText(u, 2, note);
    u.bind(3, signal_id);
    u.exec();
    out->resolved_at_ms = now_ms;
    out->resolved_by = "admin";
    out->resolution_note = note;
    if (reactivate && out->suspended_at_ms) {
      // Only a suspension this signal caused is lifted; an operator's own suspension stays.
      auto& r = conn_->Prepare(
          "UPDATE projects SET suspended_at = NULL, suspended_reason = NULL"
          " WHERE id = ? AND suspended_reason = ?");
      r.bind(1, out->project);
      r.bind(2, "abuse:" + out->kind);
      *reactivated = r.exec() == 1;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<int64_t>> WriteTxn::SuspendForAbuse(int64_t cutoff_ms, int64_t now_ms) {
  std::vector<int64_t> out;
  Status s = GuardSqlite([&] {
    std::vector<std::tuple<std::string, int64_t, std::string>> due;
    auto& q = conn_->Prepare(
        "SELECT signal_id, project, kind FROM abuse_signals WHERE resolved_at IS NULL"
        " AND suspended_at IS NULL AND detected_at <= ? ORDER BY detected_at LIMIT 500");
    q.bind(1, cutoff_ms);
    while (q.executeStep()) {
      due.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                       q.getColumn(2).getString());
    }
    for (const auto& [signal_id, project, kind] : due) {
      auto& p = conn_->Prepare(
          "UPDATE projects SET suspended_at = ?, suspended_reason = ? WHERE id = ?"
          " AND suspended_at IS NULL");
      p.bind(1, now_ms);
      p.bind(2, "abuse:" + kind);
      p.bind(3, project);
      if (p.exec() == 1) out.push_back(project);
      // Marked even when the project was already suspended: the signal has had its effect.
      auto& m = conn_->Prepare("UPDATE abuse_signals SET suspended_at = ? WHERE signal_id = ?");
      m.bind(1, now_ms);
      m.bind(2, signal_id);
      m.exec();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> WriteTxn::PruneResolvedAbuse(int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(
      conn_,
      "DELETE FROM abuse_signals WHERE signal_id IN (SELECT signal_id FROM"
      " abuse_signals WHERE resolved_at IS NOT NULL AND resolved_at < ? LIMIT ?)",
      cutoff_ms, limit);
}

// --- ReadTxn -----------------------------------------------------------------------------------

Result<std::vector<AuditEntry>> ReadTxn::ListAudit(const AuditFilter& f) {
  std::vector<AuditEntry> out;
  Status s = GuardSqlite([&] {
    SQLite::Statement q(conn_->db(), std::string(kAuditColumns) + AuditWhere(f) +
                                         " ORDER BY a.audit_id DESC LIMIT :limit OFFSET :offset");
    BindAudit(q, f);
    q.bind(":limit", f.limit);
    q.bind(":offset", f.offset);
    while (q.executeStep()) out.push_back(ReadAudit(q));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<AuditEntry>> ReadTxn::ListAuditAfter(const AuditFilter& f) {
  std::vector<AuditEntry> out;
  Status s = GuardSqlite([&] {
    SQLite::Statement q(conn_->db(), std::string(kAuditColumns) + AuditWhere(f) +
                                         " AND a.audit_id > :after ORDER BY a.audit_id"
                                         " LIMIT :limit");
    BindAudit(q, f);
    q.bind(":after", f.after_audit_id);
    q.bind(":limit", f.limit);
    while (q.executeStep()) out.push_back(ReadAudit(q));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status ReadTxn::ForEachAudit(const AuditFilter& f,
                             const std::function<bool(const AuditEntry&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(conn_->db(),
                        std::string(kAuditColumns) + AuditWhere(f) + " ORDER BY a.audit_id");
    BindAudit(q, f);
    while (q.executeStep()) {
      if (!fn(ReadAudit(q))) break;
    }
    return Status::Ok();
  });
}

Result<std::vector<std::pair<int64_t, int64_t>>> ReadTxn::ExecutionsPerDay(int64_t project,
                                                                           int64_t since_ms,
                                                                           int64_t until_ms) {
  std::vector<std::pair<int64_t, int64_t>> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT started_at / 86400000 AS day, COUNT(*) FROM executions"
        " WHERE project = ? AND started_at >= ? AND started_at <= ? GROUP BY day ORDER BY day");
    q.bind(1, project);
    q.bind(2, since_ms);
    q.bind(3, until_ms);
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getInt64() * 86400000, q.getColumn(1).getInt64());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> ReadTxn::CountExecutionsStarted(int64_t project, int64_t since_ms,
                                                int64_t until_ms) {
  int64_t n = 0;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT COUNT(*) FROM executions WHERE project = ? AND started_at >= ? AND started_at < ?");
    q.bind(1, project);
    q.bind(2, since_ms);
    q.bind(3, until_ms);
    if (q.executeStep()) n = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

Result<std::vector<AbuseSignal>> ReadTxn::ListAbuseSignals(bool include_resolved, int64_t limit) {
  std::vector<AbuseSignal> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(include_resolved ? VIGIL_ABUSE_SELECT
                                 " ORDER BY s.detected_at DESC, s.signal_id LIMIT ?"
                                              : VIGIL_ABUSE_SELECT
                                 " WHERE s.resolved_at IS NULL"
                                 " ORDER BY s.detected_at DESC, s.signal_id LIMIT ?");
    q.bind(1, limit);
    while (q.executeStep()) out.push_back(ReadAbuse(q));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status ReadTxn::ForEachExecution(int64_t project,
                                 const std::function<bool(int64_t, const Execution&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(conn_->db(), "SELECT " VIGIL_EXECUTION_COLUMNS
                                     " FROM executions x WHERE x.project = ?"
                                     " ORDER BY x.started_at DESC, x.execution_id");
    q.bind(1, project);
    while (q.executeStep()) {
      const ExecutionRow row = ReadExecutionRow(q);
      if (!fn(row.id, row.execution)) break;
    }
    return Status::Ok();
  });
}

Status ReadTxn::ForEachEventOf(int64_t project, int64_t execution_row,
                               const std::function<bool(const Event&)>& fn) {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT " VIGIL_EVENT_COLUMNS
                             " FROM events e WHERE e.execution = ? AND e.project = ?"
                             " ORDER BY e.sequence, e.id");
    q.bind(1, execution_row);
    q.bind(2, project);
    while (q.executeStep()) {
      if (!fn(ReadEventRow(q))) break;
    }
    return Status::Ok();
  });
}

Status ReadTxn::ForEachFinding(
    int64_t project, const std::function<bool(const std::string&, const StoredFinding&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(conn_->db(),
                        "SELECT x.execution_id, f.detector, f.priority, f.failure_class,"
                        " f.signature, f.group_id, f.detected_at, f.source FROM findings f"
                        " JOIN executions x ON x.id = f.execution WHERE f.project = ?"
                        " ORDER BY f.detected_at, x.execution_id, f.detector");
    q.bind(1, project);
    while (q.executeStep()) {
      StoredFinding f;
      f.detector = q.getColumn(1).getString();
      f.priority = q.getColumn(2).getInt();
      f.failure_class = q.getColumn(3).getString();
      f.signature = q.getColumn(4).getString();
      f.group_id = q.getColumn(5).getString();
      f.detected_at_ms = q.getColumn(6).getInt64();
      f.source = q.getColumn(7).getString();
      if (!fn(q.getColumn(0).getString(), f)) break;
    }
    return Status::Ok();
  });
}

Status ReadTxn::ForEachWebhookDelivery(
    int64_t project, const std::function<bool(const std::string&, const WebhookAttemptRow&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(conn_->db(),
                        "SELECT w.webhook_id, d.delivery_id, d.event, d.failure_class,"
                        " d.signature, d.group_id, d.attempt, d.status, d.http_status, d.error,"
                        " d.response_body, d.duration_ms, d.created_at, d.next_attempt_at"
                        " FROM webhook_deliveries d JOIN project_webhooks w ON w.id = d.webhook"
                        " WHERE d.project = ? ORDER BY d.id");
    q.bind(1, project);
    while (q.executeStep()) {
      WebhookAttemptRow a;
      a.delivery_id = Text(q, 1);
      a.event = Text(q, 2);
      a.failure_class = Text(q, 3);
      a.signature = Text(q, 4);
      a.group_id = Text(q, 5);
      a.attempt = q.getColumn(6).getInt64();
      a.status = Text(q, 7);
      if (!q.getColumn(8).isNull()) a.http_status = q.getColumn(8).getInt64();
      a.error = Text(q, 9);
      a.response_body = Text(q, 10);
      a.duration_ms = q.getColumn(11).getInt64();
      a.created_at_ms = q.getColumn(12).getInt64();
      if (!q.getColumn(13).isNull()) a.next_attempt_at_ms = q.getColumn(13).getInt64();
      if (!fn(q.getColumn(0).getString(), a)) break;
    }
    return Status::Ok();
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> ReadTxn::CountProjectRows(int64_t project) {
  // Every table that holds rows of a project, by the column naming it.
  static const char* const kTables[][2] = {{"projects", "id"},
                                           {"api_keys", "project"},
                                           {"executions", "project"},
                                           {"events", "project"},
                                           {"findings", "project"},
                                           {"failure_groups", "project"},
                                           {"model_usage", "project"},
                                           {"policies", "project"},
                                           {"project_webhooks", "project"},
                                           {"webhook_outbox", "project"},
                                           {"webhook_deliveries", "project"},
                                           {"audit_log", "project"},
                                           {"stripe_events", "project"},
                                           {"abuse_signals", "project"}};
  std::vector<std::pair<std::string, int64_t>> out;
  Status s = GuardSqlite([&] {
    for (const auto& t : kTables) {
      SQLite::Statement q(conn_->db(),
                          std::string("SELECT COUNT(*) FROM ") + t[0] + " WHERE " + t[1] + " = ?");
      q.bind(1, project);
      q.executeStep();
      out.emplace_back(t[0], q.getColumn(0).getInt64());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace vigil
