// Streaming every row of a project for its export (storage/export.h).
#include "storage/export.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// Streams the rows of `sql` (whose one parameter is the project) to fn(the public id of the row's
// owner, in column 0; the row `read` makes of the columns after it) until fn returns false.
template <typename Row>
Status ForEachOwnedRow(Connection* conn, const char* sql, int64_t project,
                       Row (*read)(SQLite::Statement&, int),
                       const std::function<bool(const std::string&, const Row&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(conn->db(), sql);
    q.bind(1, project);
    while (q.executeStep()) {
      if (!fn(q.getColumn(0).getString(), read(q, 1))) break;
    }
    return Status::Ok();
  });
}

}  // namespace

Status ForEachExecution(Txn& txn, int64_t project,
                        const std::function<bool(int64_t, const Execution&)>& fn) {
  return GuardSqlite([&] {
    SQLite::Statement q(txn.conn()->db(), "SELECT " VIGIL_EXECUTION_COLUMNS
                                          " FROM executions x WHERE x.project = ?"
                                          " ORDER BY x.started_at DESC, x.execution_id");
    q.bind(1, project);
    ForEachRow(q, ReadExecutionRow,
               [&](const ExecutionRow& row) { return fn(row.id, row.execution); });
    return Status::Ok();
  });
}

Status ForEachEventOf(Txn& txn, int64_t project, int64_t execution_row,
                      const std::function<bool(const Event&)>& fn) {
  return GuardSqlite([&] {
    ForEachRow(Prepared(txn.conn(),
                        "SELECT " VIGIL_EVENT_COLUMNS
                        " FROM events e WHERE e.execution = ? AND e.project = ?"
                        " ORDER BY e.sequence, e.id",
                        execution_row, project),
               ReadEventRow, fn);
    return Status::Ok();
  });
}

Status ForEachFinding(Txn& txn, int64_t project,
                      const std::function<bool(const std::string&, const StoredFinding&)>& fn) {
  return ForEachOwnedRow(txn.conn(),
                         "SELECT x.execution_id, " VIGIL_FINDING_COLUMNS
                         " FROM findings f JOIN executions x ON x.id = f.execution"
                         " WHERE f.project = ? ORDER BY f.detected_at, x.execution_id, f.detector",
                         project, ReadFindingRow, fn);
}

Status ForEachWebhookDelivery(
    Txn& txn, int64_t project,
    const std::function<bool(const std::string&, const WebhookAttemptRow&)>& fn) {
  return ForEachOwnedRow(txn.conn(),
                         "SELECT w.webhook_id, " VIGIL_DELIVERY_COLUMNS
                         " FROM webhook_deliveries d JOIN project_webhooks w ON w.id = d.webhook"
                         " WHERE d.project = ? ORDER BY d.id",
                         project, ReadDeliveryRow, fn);
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
  return Query<std::vector<std::pair<std::string, int64_t>>>(
      [&](std::vector<std::pair<std::string, int64_t>>& out) {
        for (const auto& t : kTables) {
          SQLite::Statement q(txn.conn()->db(), std::string("SELECT COUNT(*) FROM ") + t[0] +
                                                    " WHERE " + t[1] + " = ?");
          q.bind(1, project);
          out.emplace_back(t[0], FirstRow(q, IntAt0).value_or(0));
        }
        return Status::Ok();
      });
}

}  // namespace vigil::storage
