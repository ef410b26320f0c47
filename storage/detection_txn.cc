// Storage for the detection passes (spec §8): snapshots, history, findings and groups.
#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace vigil {

Result<std::optional<DetectionInput>> LoadForDetectionOn(Connection* conn, int64_t project,
                                                         const std::string& execution_id) {
  std::optional<DetectionInput> out;
  Status s = GuardSqlite([&] {
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
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<DetectionInput>> WriteTxn::LoadForDetection(int64_t project,
                                                                 const std::string& execution_id) {
  return LoadForDetectionOn(conn_, project, execution_id);
}

Result<std::optional<DetectionInput>> ReadTxn::LoadForDetection(int64_t project,
                                                                const std::string& execution_id) {
  return LoadForDetectionOn(conn_, project, execution_id);
}

Result<std::vector<std::string>> ReadTxn::HistoryModels(int64_t project, int64_t exclude_row,
                                                        int64_t since_ms, int64_t until_ms) {
  std::vector<std::string> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT DISTINCT model FROM model_usage WHERE project = ? AND last_seen >= ?"
        " AND last_seen <= ? AND execution != ?");
    q.bind(1, project);
    q.bind(2, since_ms);
    q.bind(3, until_ms);
    q.bind(4, exclude_row);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::string>> ReadTxn::HistoryMessages(int64_t project, int64_t exclude_row,
                                                          int64_t since_ms, int64_t until_ms,
                                                          int64_t max_messages) {
  std::vector<std::string> out;
  Status s = GuardSqlite([&] {
    // Newest first by arrival (rowid), which tracks timestamps for live traffic; the scan stops
    // after max_messages matches. Only lexical drift needs this, and it is off by default.
    auto& q = conn_->Prepare(
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
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<int64_t>> WriteTxn::Revision(int64_t project, int64_t row) {
  std::optional<int64_t> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT revision FROM executions WHERE project = ? AND id = ?");
    q.bind(1, project);
    q.bind(2, row);
    if (q.executeStep()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<StoredFinding>> WriteTxn::LoadFindings(int64_t project, int64_t row) {
  std::vector<StoredFinding> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT detector, priority, failure_class, signature, group_id, detected_at, source"
        " FROM findings WHERE project = ? AND execution = ? ORDER BY priority");
    q.bind(1, project);
    q.bind(2, row);
    while (q.executeStep()) {
      StoredFinding f;
      f.detector = q.getColumn(0).getString();
      f.priority = q.getColumn(1).getInt();
      f.failure_class = q.getColumn(2).getString();
      f.signature = q.getColumn(3).getString();
      f.group_id = q.getColumn(4).getString();
      f.detected_at_ms = q.getColumn(5).getInt64();
      f.source = q.getColumn(6).getString();
      out.push_back(std::move(f));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status WriteTxn::DeleteFindings(int64_t project, int64_t row) {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare("DELETE FROM findings WHERE project = ? AND execution = ?");
    q.bind(1, project);
    q.bind(2, row);
    q.exec();
    return Status::Ok();
  });
}

Status WriteTxn::PutFinding(int64_t project, int64_t row, const std::string& execution_id,
                            const StoredFinding& f, bool* group_created) {
  return GuardSqlite([&] {
    auto& g = conn_->Prepare(
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
      auto& u = conn_->Prepare(
          "UPDATE failure_groups SET last_seen = max(last_seen, ?) WHERE project = ? AND group_id "
          "= ?");
      u.bind(1, f.detected_at_ms);
      u.bind(2, project);
      u.bind(3, f.group_id);
      u.exec();
    }
    auto& q = conn_->Prepare(
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

Status WriteTxn::SetPrimaryGroup(int64_t project, int64_t row, const std::string& group_id) {
  return GuardSqlite([&] {
    auto& q =
        conn_->Prepare("UPDATE executions SET failure_group_id = ? WHERE project = ? AND id = ?");
    BindText(q, 1, group_id);
    q.bind(2, project);
    q.bind(3, row);
    q.exec();
    return Status::Ok();
  });
}

Status WriteTxn::SetEstimatedCost(int64_t project, int64_t row, double cost_usd) {
  return GuardSqlite([&] {
    auto& q =
        conn_->Prepare("UPDATE executions SET estimated_cost_usd = ? WHERE project = ? AND id = ?");
    q.bind(1, cost_usd);
    q.bind(2, project);
    q.bind(3, row);
    q.exec();
    return Status::Ok();
  });
}

Status WriteTxn::PutPolicy(int64_t project, const std::string& policy_json, int64_t now_ms) {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare(
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

namespace {

Result<HaltState> HaltStateOn(Connection* conn, int64_t project, const std::string& execution_id) {
  HaltState h;
  Status s = GuardSqlite([&] {
    auto& q = conn->Prepare(
        "SELECT status, COALESCE(halt_reason, '') FROM executions"
        " WHERE project = ? AND execution_id = ?");
    q.bind(1, project);
    q.bind(2, execution_id);
    if (q.executeStep()) {
      h.exists = true;
      h.terminal = IsTerminalStatus(q.getColumn(0).getString());
      h.halt_reason = q.getColumn(1).getString();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return h;
}

}  // namespace

Result<HaltState> ReadTxn::GetHaltState(int64_t project, const std::string& execution_id) {
  return HaltStateOn(conn_, project, execution_id);
}

Result<HaltState> WriteTxn::RequestHalt(int64_t project, const std::string& execution_id,
                                        const std::string& reason, int64_t now_ms) {
  auto h = HaltStateOn(conn_, project, execution_id);
  if (!h.ok() || !h->exists || h->terminal) return h;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "UPDATE executions SET halt_reason = ?, halt_requested_at = ?"
        " WHERE project = ? AND execution_id = ?");
    q.bind(1, reason);
    q.bind(2, now_ms);
    q.bind(3, project);
    q.bind(4, execution_id);
    q.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  h->halt_reason = reason;
  return h;
}

Result<std::string> ReadTxn::GetPolicy(int64_t project) {
  std::string out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT policy FROM policies WHERE project = ?");
    q.bind(1, project);
    if (q.executeStep()) out = q.getColumn(0).getString();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

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

Result<std::vector<FailureGroupRow>> ReadTxn::ListFailureGroups(int64_t project, int64_t limit,
                                                                int64_t offset) {
  std::vector<FailureGroupRow> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(VIGIL_GROUP_SELECT
                             " WHERE g.project = ? ORDER BY g.last_seen DESC, g.group_id"
                             " LIMIT ? OFFSET ?");
    q.bind(1, project);
    q.bind(2, limit);
    q.bind(3, offset);
    while (q.executeStep()) out.push_back(ReadGroupRow(q));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<FailureGroupRow>> ReadTxn::GetFailureGroup(int64_t project,
                                                                const std::string& group_id) {
  std::optional<FailureGroupRow> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(VIGIL_GROUP_SELECT " WHERE g.project = ? AND g.group_id = ?");
    q.bind(1, project);
    q.bind(2, group_id);
    if (q.executeStep()) out = ReadGroupRow(q);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace vigil
