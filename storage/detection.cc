// Detection: the snapshot a pass reads, findings, failure groups and the policy
// (storage/detection.h).
#include "storage/detection.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// Group columns plus the counters computed on read: affected executions (distinct executions
// holding a finding in the group) and the cost they wasted. Distinct, because one execution can
// hold several findings of a group: the loops findings of one runaway share its group.
#define VIGIL_GROUP_SELECT                                                       \
  "SELECT g.group_id, g.failure_class, g.signature, g.first_seen, g.last_seen,"  \
  " COALESCE(g.sample_execution_id, ''),"                                        \
  " (SELECT COUNT(DISTINCT f.execution) FROM findings f"                         \
  "    WHERE f.project = g.project AND f.group_id = g.group_id),"                \
  " (SELECT COALESCE(SUM(x.estimated_cost_usd), 0) FROM executions x"            \
  "    WHERE x.id IN (SELECT f.execution FROM findings f"                        \
  "                   WHERE f.project = g.project AND f.group_id = g.group_id))" \
  " FROM failure_groups g"

FailureGroupRow ReadGroupRow(SQLite::Statement& q) {
  FailureGroupRow r;
  r.group_id = q.getColumn(0).getString();
  r.failure_class = q.getColumn(1).getString();
  r.signature = q.getColumn(2).getString();
  r.first_seen_ms = q.getColumn(3).getInt64();
  r.last_seen_ms = q.getColumn(4).getInt64();
  r.sample_execution_id = q.getColumn(5).getString();
  r.affected_executions = q.getColumn(6).getInt64();
  r.cost_wasted_usd = q.getColumn(7).getDouble();
  return r;
}

}  // namespace

Result<std::optional<DetectionInput>> LoadForDetection(Txn& txn, int64_t project,
                                                       const std::string& execution_id) {
  return Query<std::optional<DetectionInput>>([&](std::optional<DetectionInput>& out) {
    Connection* conn = txn.conn();
    auto& q = conn->Prepare("SELECT " VIGIL_EXECUTION_COLUMNS
                            " FROM executions x WHERE x.project = ? AND x.execution_id = ?");
    q.bind(1, project);
    q.bind(2, execution_id);
    if (!q.executeStep()) return Status::Ok();
    ExecutionRow row = ReadExecutionRow(q);
    DetectionInput in;
    in.row_id = row.id;
    in.revision = row.revision;
    in.execution = std::move(row.execution);
    auto& ev = conn->Prepare("SELECT " VIGIL_EVENT_COLUMNS
                             " FROM events e WHERE e.project = ? AND e.execution = ?"
                             " ORDER BY e.sequence, e.id");
    ev.bind(1, project);
    ev.bind(2, row.id);
    while (ev.executeStep()) {
      in.events.push_back(ReadEventRow(ev));
      in.events.back().execution_id = execution_id;
    }
    out = std::move(in);
    return Status::Ok();
  });
}

Result<std::optional<int64_t>> Revision(Txn& txn, int64_t project, int64_t row) {
  return Query<std::optional<int64_t>>([&](std::optional<int64_t>& out) {
    auto& q = txn.conn()->Prepare("SELECT revision FROM executions WHERE project = ? AND id = ?");
    q.bind(1, project);
    q.bind(2, row);
    if (q.executeStep()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Result<std::vector<std::string>> HistoryModels(Txn& txn, int64_t project, int64_t exclude_row,
                                               int64_t since_ms, int64_t until_ms) {
  return Query<std::vector<std::string>>([&](std::vector<std::string>& out) {
    auto& q = txn.conn()->Prepare(
        "SELECT DISTINCT model FROM model_usage WHERE project = ? AND last_seen >= ?"
        " AND last_seen <= ? AND execution != ?");
    q.bind(1, project);
    q.bind(2, since_ms);
    q.bind(3, until_ms);
    q.bind(4, exclude_row);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return Status::Ok();
  });
}

Result<std::vector<std::string>> HistoryMessages(Txn& txn, int64_t project, int64_t exclude_row,
                                                 int64_t since_ms, int64_t until_ms,
                                                 int64_t max_messages) {
  return Query<std::vector<std::string>>([&](std::vector<std::string>& out) {
    // Newest first by arrival (rowid), which tracks timestamps for live traffic; the scan stops
    // after max_messages matches. Only lexical drift needs this, and it is off by default.
    auto& q = txn.conn()->Prepare(
        "SELECT json_extract(payload, '$.user_message') FROM events"
        " WHERE project = ? AND event_type = 'llm_call' AND execution != ?"
        " AND timestamp >= ? AND timestamp <= ? AND json_valid(payload)"
        " AND json_type(payload, '$.user_message') = 'text'"
        " AND json_extract(payload, '$.user_message') != ''"
        " ORDER BY id DESC LIMIT ?");
    q.bind(1, project);
    q.bind(2, exclude_row);
    q.bind(3, since_ms);
    q.bind(4, until_ms);
    q.bind(5, max_messages);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return Status::Ok();
  });
}

Result<std::vector<StoredFinding>> LoadFindings(Txn& txn, int64_t project, int64_t row) {
  return Query<std::vector<StoredFinding>>([&](std::vector<StoredFinding>& out) {
    auto& q = txn.conn()->Prepare("SELECT " VIGIL_FINDING_COLUMNS
                                  " FROM findings f WHERE f.project = ? AND f.execution = ?"
                                  " ORDER BY f.priority");
    q.bind(1, project);
    q.bind(2, row);
    while (q.executeStep()) out.push_back(ReadFindingRow(q, 0));
    return Status::Ok();
  });
}

Status DeleteFindings(WriteTxn& txn, int64_t project, int64_t row) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare("DELETE FROM findings WHERE project = ? AND execution = ?");
    q.bind(1, project);
    q.bind(2, row);
    q.exec();
    return Status::Ok();
  });
}

Status PutFinding(WriteTxn& txn, int64_t project, int64_t row, const std::string& execution_id,
                  const StoredFinding& f, bool* group_created) {
  return GuardSqlite([&] {
    auto& g = txn.conn()->Prepare(
        "INSERT INTO failure_groups(project, group_id, failure_class, signature, first_seen,"
        " last_seen, sample_execution_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(project, group_id) DO NOTHING");
    g.bind(1, project);
    g.bind(2, f.group_id);
    g.bind(3, f.failure_class);
    g.bind(4, f.signature);
    g.bind(5, f.detected_at_ms);
    g.bind(6, f.detected_at_ms);
    g.bind(7, execution_id);
    *group_created = g.exec() == 1;
    if (!*group_created) {
      auto& u = txn.conn()->Prepare(
          "UPDATE failure_groups SET last_seen = max(last_seen, ?) WHERE project = ? AND "
          "group_id "
          "= ?");
      u.bind(1, f.detected_at_ms);
      u.bind(2, project);
      u.bind(3, f.group_id);
      u.exec();
    }
    auto& q = txn.conn()->Prepare(
        "INSERT INTO findings(project, execution, detector, priority, failure_class, signature,"
        " group_id, detected_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(execution, detector) DO UPDATE SET priority = excluded.priority,"
        " failure_class = excluded.failure_class, signature = excluded.signature,"
        " group_id = excluded.group_id, detected_at = excluded.detected_at,"
        " source = excluded.source");
    q.bind(1, project);
    q.bind(2, row);
    q.bind(3, f.detector);
    q.bind(4, f.priority);
    q.bind(5, f.failure_class);
    q.bind(6, f.signature);
    q.bind(7, f.group_id);
    q.bind(8, f.detected_at_ms);
    q.bind(9, f.source);
    q.exec();
    return Status::Ok();
  });
}

Status SetPrimaryGroup(WriteTxn& txn, int64_t project, int64_t row, const std::string& group_id) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(
        "UPDATE executions SET failure_group_id = ? WHERE project = ? AND id = ?");
    BindText(q, 1, group_id);
    q.bind(2, project);
    q.bind(3, row);
    q.exec();
    return Status::Ok();
  });
}

Status SetEstimatedCost(WriteTxn& txn, int64_t project, int64_t row, double cost_usd) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(
        "UPDATE executions SET estimated_cost_usd = ? WHERE project = ? AND id = ?");
    q.bind(1, cost_usd);
    q.bind(2, project);
    q.bind(3, row);
    q.exec();
    return Status::Ok();
  });
}

Status PutPolicy(WriteTxn& txn, int64_t project, const std::string& policy_json, int64_t now_ms) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(
        "INSERT INTO policies(project, policy, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(project) DO UPDATE SET policy = excluded.policy,"
        " updated_at = excluded.updated_at");
    q.bind(1, project);
    q.bind(2, policy_json);
    q.bind(3, now_ms);
    q.exec();
    return Status::Ok();
  });
}

Result<std::string> GetPolicy(Txn& txn, int64_t project) {
  return Query<std::string>([&](std::string& out) {
    auto& q = txn.conn()->Prepare("SELECT policy FROM policies WHERE project = ?");
    q.bind(1, project);
    if (q.executeStep()) out = q.getColumn(0).getString();
    return Status::Ok();
  });
}

Result<std::vector<FailureGroupRow>> ListFailureGroups(Txn& txn, int64_t project, int64_t limit,
                                                       int64_t offset) {
  return Query<std::vector<FailureGroupRow>>([&](std::vector<FailureGroupRow>& out) {
    auto& q = txn.conn()->Prepare(VIGIL_GROUP_SELECT
                                  " WHERE g.project = ? ORDER BY g.last_seen DESC, g.group_id"
                                  " LIMIT ? OFFSET ?");
    q.bind(1, project);
    q.bind(2, limit);
    q.bind(3, offset);
    while (q.executeStep()) out.push_back(ReadGroupRow(q));
    return Status::Ok();
  });
}

Result<std::optional<FailureGroupRow>> GetFailureGroup(Txn& txn, int64_t project,
                                                       const std::string& group_id) {
  return Query<std::optional<FailureGroupRow>>([&](std::optional<FailureGroupRow>& out) {
    auto& q = txn.conn()->Prepare(VIGIL_GROUP_SELECT " WHERE g.project = ? AND g.group_id = ?");
    q.bind(1, project);
    q.bind(2, group_id);
    if (q.executeStep()) out = ReadGroupRow(q);
    return Status::Ok();
  });
}

}  // namespace vigil::storage
