// Streaming every row of a project for its export (storage/export.h).
#include "storage/export.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {

Status ForEachExecution(Txn& txn, int64_t project,
                        const std::function<bool(int64_t, const Execution&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(txn.conn()->db(), "SELECT " VIGIL_EXECUTION_COLUMNS
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

Status ForEachEventOf(Txn& txn, int64_t project, int64_t execution_row,
                      const std::function<bool(const Event&)>& fn) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare("SELECT " VIGIL_EVENT_COLUMNS
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

Status ForEachFinding(Txn& txn, int64_t project,
                      const std::function<bool(const std::string&, const StoredFinding&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(txn.conn()->db(),
                        "SELECT x.execution_id, " VIGIL_FINDING_COLUMNS
                        " FROM findings f JOIN executions x ON x.id = f.execution"
                        " WHERE f.project = ? ORDER BY f.detected_at, x.execution_id, f.detector");
    q.bind(1, project);
    while (q.executeStep()) {
      if (!fn(q.getColumn(0).getString(), ReadFindingRow(q, 1))) break;
    }
    return Status::Ok();
  });
}

Status ForEachWebhookDelivery(
    Txn& txn, int64_t project,
    const std::function<bool(const std::string&, const WebhookAttemptRow&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(txn.conn()->db(),
                        "SELECT w.webhook_id, " VIGIL_DELIVERY_COLUMNS
                        " FROM webhook_deliveries d JOIN project_webhooks w ON w.id = d.webhook"
                        " WHERE d.project = ? ORDER BY d.id");
    q.bind(1, project);
    while (q.executeStep()) {
      if (!fn(q.getColumn(0).getString(), ReadDeliveryRow(q, 1))) break;
    }
    return Status::Ok();
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> CountProjectRows(Txn& txn, int64_t project) {
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
      SQLite::Statement q(txn.conn()->db(),
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

}  // namespace vigil::storage
