// Executions: the merge rule on write, filtered lists and details on read (storage/executions.h).
#include "storage/executions.h"

#include "storage/connection.h"
#include "storage/recent_event_ids.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

const char kSelectExecution[] = "SELECT " VIGIL_EXECUTION_COLUMNS
                                " FROM executions x WHERE x.project = ? AND x.execution_id = ?";

// Sums integer input/output tokens of llm_call payloads (spec §6 fallback for executions that
// report no totals). json_extract keeps this in SQLite, off the HTTP thread's parser.
void SumLlmTokens(Connection* conn, int64_t project, int64_t execution, int64_t* in, int64_t* out) {
  auto& q = conn->Prepare(
      "SELECT COALESCE(SUM(CASE WHEN json_type(payload, '$.input_tokens') = 'integer'"
      "   THEN json_extract(payload, '$.input_tokens') END), 0),"
      " COALESCE(SUM(CASE WHEN json_type(payload, '$.output_tokens') = 'integer'"
      "   THEN json_extract(payload, '$.output_tokens') END), 0)"
      " FROM events WHERE project = ? AND execution = ? AND event_type = 'llm_call'"
      " AND json_valid(payload)");
  q.bind(1, project);
  q.bind(2, execution);
  if (q.executeStep()) {
    *in = q.getColumn(0).getInt64();
    *out = q.getColumn(1).getInt64();
  }
}

}  // namespace

Result<UpsertResult> UpsertExecution(WriteTxn& txn, int64_t project, const ExecutionPatch& patch,
                                     int64_t now_ms) {
  return Query<UpsertResult>([&](UpsertResult& out) {
    auto& q = txn.conn()->Prepare(kSelectExecution);
    q.bind(1, project);
    q.bind(2, patch.execution_id);
    std::optional<Execution> stored;
    int64_t row_id = 0;
    if (q.executeStep()) {
      ExecutionRow row = ReadExecutionRow(q);
      row_id = row.id;
      stored = std::move(row.execution);
    }
    q.reset();
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
          " halt_requested_at = ?, revision = revision + 1 WHERE project = ? AND id = ?");
      BindExecutionFields(upd, out.execution);
      upd.bind(18, project);
      upd.bind(19, row_id);
      upd.exec();
    }
    return Status::Ok();
  });
}

Result<std::vector<Execution>> ListExecutions(Txn& txn, int64_t project, const ExecutionFilter& f) {
  return Query<std::vector<Execution>>([&](std::vector<Execution>& out) {
    // Filters are combined with AND; each is bound, never spliced into the SQL text.
    std::string sql = "SELECT " VIGIL_EXECUTION_COLUMNS " FROM executions x WHERE x.project = ?";
    if (!f.status.empty()) sql += " AND x.status = ?";
    if (f.started_after_ms) sql += " AND x.started_at >= ?";
    if (f.started_before_ms) sql += " AND x.started_at < ?";
    if (!f.parent_execution_id.empty()) sql += " AND x.parent_execution_id = ?";
    if (!f.sdk_language.empty()) sql += " AND x.sdk_language = ?";
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
    if (!f.status.empty()) q.bind(i++, f.status);
    if (f.started_after_ms) q.bind(i++, *f.started_after_ms);
    if (f.started_before_ms) q.bind(i++, *f.started_before_ms);
    if (!f.parent_execution_id.empty()) q.bind(i++, f.parent_execution_id);
    if (!f.sdk_language.empty()) q.bind(i++, f.sdk_language);
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
    auto& q = txn.conn()->Prepare("SELECT " VIGIL_EXECUTION_COLUMNS
                                  " FROM executions x WHERE x.project = ? AND x.execution_id = ?");
    q.bind(1, project);
    q.bind(2, execution_id);
    if (!q.executeStep()) return Status::Ok();
    ExecutionRow row = ReadExecutionRow(q);
    ExecutionDetail d;
    d.execution = std::move(row.execution);
    d.internal_id = row.id;
    d.events_total = row.event_count;
    auto& ev = txn.conn()->Prepare("SELECT " VIGIL_EVENT_COLUMNS
                                   " FROM events e WHERE e.project = ? AND e.execution = ?"
                                   " ORDER BY e.sequence, e.id LIMIT ?");
    ev.bind(1, project);
    ev.bind(2, row.id);
    ev.bind(3, max_events);
    while (ev.executeStep()) {
      d.events.push_back(ReadEventRow(ev));
      d.events.back().execution_id = execution_id;
    }
    auto& fq = txn.conn()->Prepare(
        "SELECT detector, failure_class, signature, group_id, detected_at, source"
        " FROM findings WHERE project = ? AND execution = ? ORDER BY priority");
    fq.bind(1, project);
    fq.bind(2, row.id);
    while (fq.executeStep()) {
      StoredFinding f;
      f.detector = fq.getColumn(0).getString();
      f.failure_class = fq.getColumn(1).getString();
      f.signature = fq.getColumn(2).getString();
      f.group_id = fq.getColumn(3).getString();
      f.detected_at_ms = fq.getColumn(4).getInt64();
      f.source = fq.getColumn(5).getString();
      d.findings.push_back(std::move(f));
    }
    if (d.execution.total_tokens_in == 0 && d.execution.total_tokens_out == 0) {
      SumLlmTokens(txn.conn(), project, row.id, &d.llm_tokens_in, &d.llm_tokens_out);
    }
    out = std::move(d);
    return Status::Ok();
  });
}

Result<int64_t> PruneExecutions(WriteTxn& txn, int64_t project, int64_t cutoff_ms, int64_t limit) {
  int64_t n = 0;
  txn.recent()->NoteDeletes();  // the executions' events go with them
  Status s = GuardSqlite([&] {
    // started_at <= ended_at, so the started_at bound lets the index narrow the scan.
    auto& q = txn.conn()->Prepare(
        "DELETE FROM executions WHERE id IN (SELECT id FROM executions WHERE project = ?"
        " AND started_at < ? AND COALESCE(ended_at, started_at) < ? LIMIT ?)");
    q.bind(1, project);
    q.bind(2, cutoff_ms);
    q.bind(3, cutoff_ms);
    q.bind(4, limit);
    n = q.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

}  // namespace vigil::storage
