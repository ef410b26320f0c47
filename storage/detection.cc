// Detection: the snapshot a pass reads, findings, failure groups and the policy
// (storage/detection.h).
#include "storage/detection.h"

#include "domain/values.h"
#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// Group columns plus the counters computed on read: affected executions (distinct executions
// holding a finding in the group) and the cost they wasted. Distinct, because one execution can
// hold several findings of a group: the loops findings of one runaway share its group.
#define VIGIL_GROUP_SELECT                                                        \
  "SELECT g.group_id, g.failure_class, g.signature, g.first_seen, g.last_seen,"   \
  " COALESCE(g.sample_execution_id, ''),"                                         \
  " (SELECT COUNT(DISTINCT f.execution) FROM findings f"                          \
  "    WHERE f.project = g.project AND f.group_id = g.group_id),"                 \
  " (SELECT MIN(TOTAL(x.estimated_cost_usd), " VIGIL_MAX_SUM_REAL                 \
  ") FROM executions x"                                                           \
  "    WHERE x.id IN (SELECT f.execution FROM findings f"                         \
  "                   WHERE f.project = g.project AND f.group_id = g.group_id))," \
  " g.state, COALESCE(g.state_changed_at, 0), COALESCE(g.state_changed_by, '')"   \
  " FROM failure_groups g"

FailureGroupRow ReadGroupRow(SQLite::Statement& q) {
  FailureGroupRow r;
  ReadColumns(q, 0, r.group_id, r.failure_class, r.signature, r.first_seen_ms, r.last_seen_ms,
              r.sample_execution_id, r.affected_executions, r.cost_wasted_usd, r.state,
              r.state_changed_at_ms, r.state_changed_by);
  return r;
}

}  // namespace

Result<std::optional<DetectionInput>> LoadForDetection(Txn& txn, int64_t project,
                                                       const std::string& execution_id) {
  return LoadForDetection(txn, project, execution_id, [](Event&) { return EventRead::kKeep; });
}

Result<std::optional<DetectionInput>> LoadForDetection(
    Txn& txn, int64_t project, const std::string& execution_id,
    const std::function<EventRead(Event&)>& prepare, bool skip_terminal_events) {
  return Query<std::optional<DetectionInput>>([&](std::optional<DetectionInput>& out) {
    std::optional<ExecutionRow> row = FindExecutionRow(txn.conn(), project, execution_id);
    if (!row) return Status::Ok();
    DetectionInput in;
    in.row_id = row->id;
    in.revision = row->revision;
    in.execution = std::move(row->execution);
    in.event_count = row->event_count;
    if (!skip_terminal_events || !IsTerminal(in.execution.status)) {
      in.events =
          LoadEventsOf(txn.conn(), project, row->id, execution_id, row->event_count, prepare);
    }
    out = std::move(in);
    return Status::Ok();
  });
}

Result<int64_t> EventCount(Txn& txn, int64_t project, const std::string& execution_id) {
  auto count = SelectOne(
      txn.conn(), "SELECT event_count FROM executions WHERE project = ? AND execution_id = ?",
      IntAt0, project, execution_id);
  if (!count.ok()) return count.status();
  return count.value().value_or(0);
}

Result<std::optional<int64_t>> Revision(Txn& txn, int64_t project, int64_t row) {
  return SelectOne(txn.conn(), "SELECT revision FROM executions WHERE project = ? AND id = ?",
                   IntAt0, project, row);
}

Result<std::vector<std::string>> HistoryModels(Txn& txn, int64_t project, int64_t exclude_row,
                                               int64_t since_ms, int64_t until_ms,
                                               const std::string& name) {
  if (name.empty()) {
    return SelectAll(txn.conn(),
                     "SELECT DISTINCT model FROM model_usage WHERE project = ? AND last_seen >= ?"
                     " AND last_seen <= ? AND execution != ?",
                     TextAt0, project, since_ms, until_ms, exclude_row);
  }
  return SelectAll(txn.conn(),
                   "SELECT DISTINCT m.model FROM model_usage m JOIN executions x"
                   " ON x.id = m.execution WHERE m.project = ? AND m.last_seen >= ?"
                   " AND m.last_seen <= ? AND m.execution != ? AND x.project = ? AND x.name = ?",
                   TextAt0, project, since_ms, until_ms, exclude_row, project, name);
}

Result<int64_t> CountCompleted(Txn& txn, int64_t project, int64_t exclude_row,
                               const std::string& name, int64_t since_ms, int64_t until_ms,
                               int64_t at_most) {
  // Both forms walk an index in started_at order (executions_by_status, executions_baseline) and
  // stop after `at_most` rows, so a large project costs no more than a small one.
  if (name.empty()) {
    return SelectInt(txn.conn(),
                     "SELECT COUNT(*) FROM (SELECT 1 FROM executions WHERE project = ?"
                     " AND status = 'completed' AND started_at >= ? AND started_at <= ?"
                     " AND id != ? LIMIT ?)",
                     project, since_ms, until_ms, exclude_row, at_most);
  }
  return SelectInt(txn.conn(),
                   "SELECT COUNT(*) FROM (SELECT 1 FROM executions WHERE project = ? AND name = ?"
                   " AND status = 'completed' AND started_at >= ? AND started_at <= ?"
                   " AND id != ? LIMIT ?)",
                   project, name, since_ms, until_ms, exclude_row, at_most);
}

Result<std::vector<BaselineSample>> BaselineSamples(Txn& txn, int64_t project,
                                                    const std::string& name, int64_t limit) {
  // Steps are the stored events (event_count), as the step-count detector counts them; the
  // duration falls back to the timestamps as the detectors' elapsed time does.
  return SelectAll(
      txn.conn(),
      "SELECT id, event_count, COALESCE(NULLIF(duration_ms, 0),"
      " MAX(0, COALESCE(ended_at, started_at) - started_at)), COALESCE(estimated_cost_usd, 0)"
      " FROM executions WHERE project = ? AND name = ? AND status = 'completed'"
      " ORDER BY started_at DESC LIMIT ?",
      [](SQLite::Statement& q) {
        BaselineSample sample;
        ReadColumns(q, 0, sample.row_id, sample.steps, sample.duration_ms, sample.cost_usd);
        return sample;
      },
      project, name, limit);
}

Result<std::vector<std::string>> HistoryMessages(Txn& txn, int64_t project, int64_t exclude_row,
                                                 int64_t since_ms, int64_t until_ms,
                                                 int64_t max_messages) {
  // Newest first by arrival (rowid), which tracks timestamps for live traffic; the scan stops
  // after max_messages matches. Only lexical drift needs this, and it is off by default.
  return SelectAll(txn.conn(),
                   "SELECT json_extract(payload, '$.user_message') FROM events"
                   " WHERE project = ? AND event_type = 'llm_call' AND execution != ?"
                   " AND timestamp >= ? AND timestamp <= ? AND json_valid(payload)"
                   " AND json_type(payload, '$.user_message') = 'text'"
                   " AND json_extract(payload, '$.user_message') != ''"
                   " ORDER BY id DESC LIMIT ?",
                   TextAt0, project, exclude_row, since_ms, until_ms, max_messages);
}

Result<std::vector<StoredFinding>> LoadFindings(Txn& txn, int64_t project, int64_t row) {
  // `+f.project` keeps the planner on the primary key (execution, detector): offered the index on
  // (project, group_id) as well, it walked every finding of the project.
  return SelectAll(txn.conn(),
                   "SELECT " VIGIL_FINDING_COLUMNS
                   " FROM findings f WHERE +f.project = ? AND f.execution = ?"
                   " ORDER BY f.priority, f.detector",
                   ReadFinding, project, row);
}

Status DeleteFinding(WriteTxn& txn, int64_t project, int64_t row, const std::string& detector) {
  return Execute(txn.conn(),
                 "DELETE FROM findings WHERE project = ? AND execution = ? AND detector = ?",
                 project, row, detector);
}

Result<GroupChange> PutFinding(WriteTxn& txn, int64_t project, int64_t row,
                               const std::string& execution_id, const StoredFinding& f) {
  return Guarded([&] {
    Connection* conn = txn.conn();
    // Asked before the finding is stored: a finding of an execution already in the group (a pass
    // over it again, another detector of its runaway) is no recurrence.
    const bool held = FirstRow(Prepared(conn,
                                        "SELECT 1 FROM findings WHERE project = ? AND execution = ?"
                                        " AND group_id = ? LIMIT 1",
                                        project, row, f.group_id),
                               IntAt0)
                          .has_value();
    GroupChange change = GroupChange::kNone;
    if (Exec(conn,
             "INSERT INTO failure_groups(project, group_id, failure_class, signature,"
             " first_seen, last_seen, sample_execution_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
             " ON CONFLICT(project, group_id) DO NOTHING",
             project, f.group_id, f.failure_class, f.signature, f.detected_at_ms, f.detected_at_ms,
             execution_id) == 1) {
      change = GroupChange::kCreated;
    } else {
      Exec(conn,
           "UPDATE failure_groups SET last_seen = max(last_seen, ?)"
           " WHERE project = ? AND group_id = ?",
           f.detected_at_ms, project, f.group_id);
      if (!held && Exec(conn,
                        "UPDATE failure_groups SET state = 'open', state_changed_at = ?,"
                        " state_changed_by = 'system'"
                        " WHERE project = ? AND group_id = ? AND state = 'resolved'",
                        f.detected_at_ms, project, f.group_id) == 1) {
        change = GroupChange::kRegressed;
      }
    }
    Exec(conn,
         "INSERT INTO findings(project, execution, detector, priority, failure_class,"
         " signature, group_id, detected_at, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
         " ON CONFLICT(execution, detector) DO UPDATE SET priority = excluded.priority,"
         " failure_class = excluded.failure_class, signature = excluded.signature,"
         " group_id = excluded.group_id, detected_at = excluded.detected_at,"
         " source = excluded.source, detail = excluded.detail",
         project, row, f.detector, f.priority, f.failure_class, f.signature, f.group_id,
         f.detected_at_ms, f.source, f.detail);
    return change;
  });
}

Status SetPrimaryGroup(WriteTxn& txn, int64_t project, int64_t row, const std::string& group_id) {
  return Execute(txn.conn(),
                 "UPDATE executions SET failure_group_id = ? WHERE project = ? AND id = ?",
                 NullIfEmpty{group_id}, project, row);
}

Status SetEstimatedCost(WriteTxn& txn, int64_t project, int64_t row, double cost_usd) {
  return Execute(txn.conn(),
                 "UPDATE executions SET estimated_cost_usd = ? WHERE project = ? AND id = ?",
                 cost_usd, project, row);
}

Status PutPolicy(WriteTxn& txn, int64_t project, const std::string& policy_json, int64_t now_ms) {
  return Execute(txn.conn(),
                 "INSERT INTO policies(project, policy, updated_at) VALUES (?, ?, ?)"
                 " ON CONFLICT(project) DO UPDATE SET policy = excluded.policy,"
                 " updated_at = excluded.updated_at",
                 project, policy_json, now_ms);
}

Result<std::string> GetPolicy(Txn& txn, int64_t project) {
  auto policy =
      SelectOne(txn.conn(), "SELECT policy FROM policies WHERE project = ?", TextAt0, project);
  if (!policy.ok()) return policy.status();
  return policy->value_or(std::string());
}

Result<std::vector<FailureGroupRow>> ListFailureGroups(Txn& txn, int64_t project, int64_t limit,
                                                       int64_t offset) {
  return SelectAll(txn.conn(),
                   VIGIL_GROUP_SELECT
                   " WHERE g.project = ? ORDER BY g.last_seen DESC, g.group_id LIMIT ? OFFSET ?",
                   ReadGroupRow, project, limit, offset);
}

Result<std::vector<FailureGroupRow>> ListFailureGroups(Txn& txn, int64_t project,
                                                       std::optional<GroupState> state,
                                                       int64_t limit, int64_t offset) {
  if (!state) return ListFailureGroups(txn, project, limit, offset);
  return SelectAll(txn.conn(),
                   VIGIL_GROUP_SELECT
                   " WHERE g.project = ? AND g.state = ?"
                   " ORDER BY g.last_seen DESC, g.group_id LIMIT ? OFFSET ?",
                   ReadGroupRow, project, std::string(GroupStateName(*state)), limit, offset);
}

Result<std::optional<FailureGroupRow>> GetFailureGroup(Txn& txn, int64_t project,
                                                       const std::string& group_id) {
  return SelectOne(txn.conn(), VIGIL_GROUP_SELECT " WHERE g.project = ? AND g.group_id = ?",
                   ReadGroupRow, project, group_id);
}

Result<std::optional<GroupState>> SetGroupState(WriteTxn& txn, int64_t project,
                                                const std::string& group_id, GroupState to,
                                                const std::string& actor, int64_t now_ms) {
  return Guarded([&]() -> std::optional<GroupState> {
    Connection* conn = txn.conn();
    const std::optional<GroupState> found = FirstRow(
        Prepared(conn, "SELECT state FROM failure_groups WHERE project = ? AND group_id = ?",
                 project, group_id),
        [](SQLite::Statement& q) { return GroupStateColumn(q, 0); });
    if (!found) return std::nullopt;
    const GroupState before = *found;
    if (before == to) return before;
    Exec(conn,
         "UPDATE failure_groups SET state = ?, state_changed_at = ?, state_changed_by = ?"
         " WHERE project = ? AND group_id = ?",
         std::string(GroupStateName(to)), now_ms, actor, project, group_id);
    return before;
  });
}

}  // namespace vigil::storage
