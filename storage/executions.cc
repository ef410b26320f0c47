// Executions: the merge rule on write, filtered lists and details on read (storage/executions.h).
#include "storage/executions.h"

#include "domain/saturating.h"
#include "storage/connection.h"
#include "storage/recent_event_ids.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// Sums integer input/output tokens of llm_call payloads (docs/api.md#reads fallback for executions
// that report no totals). json_extract keeps the parsing in SQLite, off the HTTP thread's parser;
// the sum is taken here because SQLite's SUM fails on overflow, and these sums saturate instead.
void SumLlmTokens(Connection* conn, int64_t project, int64_t execution, int64_t* in, int64_t* out) {
  auto& q = Prepared(conn,
                     "SELECT CASE WHEN json_type(payload, '$.input_tokens') = 'integer'"
                     "   THEN json_extract(payload, '$.input_tokens') END,"
                     " CASE WHEN json_type(payload, '$.output_tokens') = 'integer'"
                     "   THEN json_extract(payload, '$.output_tokens') END"
                     " FROM events WHERE project = ? AND execution = ? AND event_type = 'llm_call'"
                     " AND json_valid(payload)",
                     project, execution);
  *in = 0;
  *out = 0;
  while (q.executeStep()) {
    *in = SaturatingAdd(*in, q.getColumn(0).getInt64());
    *out = SaturatingAdd(*out, q.getColumn(1).getInt64());
  }
}

// The payload of the execution's latest `exception` event (by sequence, then arrival), or "" when
// it has none; one probe of the partial index events_exceptions.
std::string LatestExceptionPayload(Connection* conn, int64_t project, int64_t execution) {
  auto& q = Prepared(conn,
                     "SELECT payload FROM events WHERE execution = ? AND event_type = 'exception'"
                     " AND project = ? ORDER BY sequence DESC, id DESC LIMIT 1",
                     execution, project);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

}  // namespace

Result<UpsertResult> UpsertExecution(WriteTxn& txn, int64_t project, const ExecutionPatch& patch,
                                     int64_t now_ms) {
  return Query<UpsertResult>([&](UpsertResult& out) {
    std::optional<ExecutionRow> row = FindExecutionRow(txn.conn(), project, patch.execution_id);
    std::optional<Execution> stored;
    if (row) stored = std::move(row->execution);
    out.execution = MergeExecution(stored, patch, now_ms, now_ms);
    out.execution.project_id.clear();
    out.status = out.execution.status;
    out.created = !stored.has_value();
    if (out.created) {
      InsertExecutionRow(txn.conn(), project, out.execution, now_ms);
    } else {
      auto& upd = txn.conn()->Prepare(
          "UPDATE executions SET parent_execution_id = ?, status = ?, started_at = ?,"
          " ended_at = ?, duration_ms = ?, total_tokens_in = ?, total_tokens_out = ?,"
          " estimated_cost_usd = ?, input_summary = ?, output_summary = ?, crash_signature = ?,"
          " sdk_version = ?, sdk_language = ?, failure_group_id = ?, budget = ?, halt_reason = ?,"
          " halt_requested_at = ?, name = ?, code_version = ?, container_digest = ?,"
          " revision = revision + 1, last_received_at = ? WHERE project = ? AND id = ?");
      BindExecutionFields(upd, out.execution);
      upd.bind(21, now_ms);
      upd.bind(22, project);
      upd.bind(23, row->id);
      upd.exec();
    }
    return Status::Ok();
  });
}

Result<std::vector<Execution>> ListExecutions(Txn& txn, int64_t project, const ExecutionFilter& f) {
  return Query<std::vector<Execution>>([&](std::vector<Execution>& out) {
    // Filters are combined with AND; each is bound, never spliced into the SQL text.
    std::string sql = "SELECT " VIGIL_EXECUTION_COLUMNS " FROM executions x WHERE x.project = ?";
    if (f.status) sql += " AND x.status = ?";
    if (f.started_after_ms) sql += " AND x.started_at >= ?";
    if (f.started_before_ms) sql += " AND x.started_at < ?";
    if (!f.parent_execution_id.empty()) sql += " AND x.parent_execution_id = ?";
    if (!f.sdk_language.empty()) sql += " AND x.sdk_language = ?";
    if (!f.name.empty()) sql += " AND x.name = ?";
    if (!f.failure_group_id.empty()) {
      // The group's findings come from findings_by_group once, as a set probed per execution. A
      // correlated EXISTS let SQLite walk the group's findings again for every execution row
      // (about 0.5 s for a group of 1,500 executions among 50,000).
      sql +=
          " AND x.id IN (SELECT g.execution FROM findings g WHERE g.project = ? AND g.group_id = "
          "?)";
    }
    sql += " ORDER BY x.started_at DESC, x.execution_id ASC LIMIT ? OFFSET ?";
    SQLite::Statement q(txn.conn()->db(), sql);
    int i = 1;
    q.bind(i++, project);
    if (f.status) BindParam(q, i++, *f.status);
    if (f.started_after_ms) q.bind(i++, *f.started_after_ms);
    if (f.started_before_ms) q.bind(i++, *f.started_before_ms);
    if (!f.parent_execution_id.empty()) q.bind(i++, f.parent_execution_id);
    if (!f.sdk_language.empty()) q.bind(i++, f.sdk_language);
    if (!f.name.empty()) q.bind(i++, f.name);
    if (!f.failure_group_id.empty()) {
      q.bind(i++, project);
      q.bind(i++, f.failure_group_id);
    }
    q.bind(i++, f.limit);
    q.bind(i++, f.offset);
    while (q.executeStep()) out.push_back(ReadExecutionRow(q).execution);
    return Status::Ok();
  });
}

Result<std::optional<ExecutionDetail>> GetExecution(Txn& txn, int64_t project,
                                                    const std::string& execution_id,
                                                    int64_t max_events) {
  return Query<std::optional<ExecutionDetail>>([&](std::optional<ExecutionDetail>& out) {
    std::optional<ExecutionRow> row = FindExecutionRow(txn.conn(), project, execution_id);
    if (!row) return Status::Ok();
    ExecutionDetail d;
    d.execution = std::move(row->execution);
    d.internal_id = row->id;
    d.events_total = row->event_count;
    d.events = LoadEventsOf(txn.conn(), project, row->id, execution_id, max_events);
    // `+f.project`: by the primary key, not every finding of the project (LoadFindings).
    d.findings = AllRows(Prepared(txn.conn(),
                                  "SELECT " VIGIL_FINDING_COLUMNS
                                  " FROM findings f WHERE +f.project = ? AND f.execution = ?"
                                  " ORDER BY f.priority, f.detector",
                                  project, row->id),
                         ReadFinding);
    d.exception_payload = LatestExceptionPayload(txn.conn(), project, row->id);
    if (d.execution.total_tokens_in == 0 && d.execution.total_tokens_out == 0) {
      SumLlmTokens(txn.conn(), project, row->id, &d.llm_tokens_in, &d.llm_tokens_out);
    }
    out = std::move(d);
    return Status::Ok();
  });
}

Result<int64_t> PruneExecutions(WriteTxn& txn, int64_t project, int64_t cutoff_ms, int64_t limit) {
  txn.recent()->NoteDeletes();  // the executions' events go with them
  // received_at <= last_received_at, so the received_at bound lets the index narrow the scan.
  return Changes(txn.conn(),
                 "DELETE FROM executions WHERE id IN (SELECT id FROM executions WHERE project = ?"
                 " AND received_at < ? AND last_received_at < ? LIMIT ?)",
                 project, cutoff_ms, cutoff_ms, limit);
}

}  // namespace vigil::storage
