#include <string>

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace vigil {
namespace {

std::optional<double> OptReal(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}

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

Result<std::optional<AuthRecord>> ReadTxn::FindKeyByHash(const std::string& key_hash) {
  std::optional<AuthRecord> rec;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT k.key_id, p.id, p.project_id, p.suspended_at IS NOT NULL,"
        " COALESCE(p.suspended_reason, ''), p.rate_limit_burst, p.rate_limit_per_sec,"
        " k.key_prefix FROM api_keys k JOIN projects p ON p.id = k.project WHERE k.key_hash = ?");
    q.bind(1, key_hash);
    if (q.executeStep()) {
      AuthRecord r;
      r.key_id = q.getColumn(0).getString();
      r.project = q.getColumn(1).getInt64();
      r.project_id = q.getColumn(2).getString();
      r.suspended = q.getColumn(3).getInt() != 0;
      r.suspended_reason = q.getColumn(4).getString();
      r.rate_limit_burst = OptReal(q, 5);
      r.rate_limit_per_sec = OptReal(q, 6);
      r.key_prefix = q.getColumn(7).getString();
      rec = std::move(r);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return rec;
}

Result<std::optional<ProjectInfo>> ReadTxn::GetProject(int64_t project) {
  std::optional<ProjectInfo> info;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT id, project_id, name, owner_email, tier, created_at FROM projects WHERE id = ?");
    q.bind(1, project);
    if (q.executeStep()) {
      ProjectInfo p;
      p.id = q.getColumn(0).getInt64();
      p.project_id = q.getColumn(1).getString();
      p.name = q.getColumn(2).getString();
      p.owner_email = q.getColumn(3).getString();
      p.tier = q.getColumn(4).getString();
      p.created_at_ms = q.getColumn(5).getInt64();
      info = std::move(p);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return info;
}

Result<std::optional<int64_t>> ReadTxn::FindProjectId(const std::string& project_id) {
  std::optional<int64_t> id;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT id FROM projects WHERE project_id = ?");
    q.bind(1, project_id);
    if (q.executeStep()) id = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<Execution>> ReadTxn::ListExecutions(int64_t project, const ExecutionFilter& f) {
  std::vector<Execution> out;
  Status s = GuardSqlite([&] {
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
    SQLite::Statement q(conn_->db(), sql);
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
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<ExecutionDetail>> ReadTxn::GetExecution(int64_t project,
                                                             const std::string& execution_id,
                                                             int64_t max_events) {
  std::optional<ExecutionDetail> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT " VIGIL_EXECUTION_COLUMNS
                             " FROM executions x WHERE x.project = ? AND x.execution_id = ?");
    q.bind(1, project);
    q.bind(2, execution_id);
    if (!q.executeStep()) return Status::Ok();
    ExecutionRow row = ReadExecutionRow(q);
    ExecutionDetail d;
    d.execution = std::move(row.execution);
    d.internal_id = row.id;
    d.events_total = row.event_count;
    auto& ev = conn_->Prepare("SELECT " VIGIL_EVENT_COLUMNS
                              " FROM events e WHERE e.project = ? AND e.execution = ?"
                              " ORDER BY e.sequence, e.id LIMIT ?");
    ev.bind(1, project);
    ev.bind(2, row.id);
    ev.bind(3, max_events);
    while (ev.executeStep()) {
      d.events.push_back(ReadEventRow(ev));
      d.events.back().execution_id = execution_id;
    }
    auto& fq = conn_->Prepare(
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
      SumLlmTokens(conn_, project, row.id, &d.llm_tokens_in, &d.llm_tokens_out);
    }
    out = std::move(d);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<std::vector<Event>>> ReadTxn::ListEvents(int64_t project,
                                                              const std::string& execution_id,
                                                              int64_t limit, int64_t offset,
                                                              int64_t* total) {
  std::optional<std::vector<Event>> out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT id, event_count FROM executions WHERE project = ? AND execution_id = ?");
    q.bind(1, project);
    q.bind(2, execution_id);
    if (!q.executeStep()) return Status::Ok();
    const int64_t row_id = q.getColumn(0).getInt64();
    *total = q.getColumn(1).getInt64();
    std::vector<Event> events;
    auto& ev = conn_->Prepare("SELECT " VIGIL_EVENT_COLUMNS
                              " FROM events e WHERE e.project = ? AND e.execution = ?"
                              " ORDER BY e.sequence, e.id LIMIT ? OFFSET ?");
    ev.bind(1, project);
    ev.bind(2, row_id);
    ev.bind(3, limit);
    ev.bind(4, offset);
    while (ev.executeStep()) {
      events.push_back(ReadEventRow(ev));
      events.back().execution_id = execution_id;
    }
    out = std::move(events);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<ProjectStats> ReadTxn::GetStats(int64_t project, int64_t now_ms) {
  ProjectStats st;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "SELECT COUNT(*), COALESCE(SUM(status = 'completed'), 0),"
        " COALESCE(SUM(status = 'crashed' AND started_at >= ?), 0)"
        " FROM executions WHERE project = ?");
    q.bind(1, static_cast<int64_t>(now_ms - int64_t{24} * 3600 * 1000));
    q.bind(2, project);
    if (q.executeStep()) {
      st.total_executions = q.getColumn(0).getInt64();
      st.completed_executions = q.getColumn(1).getInt64();
      st.crashed_24h = q.getColumn(2).getInt64();
    }
    auto& g = conn_->Prepare("SELECT COUNT(DISTINCT group_id) FROM findings WHERE project = ?");
    g.bind(1, project);
    if (g.executeStep()) st.open_failure_groups = g.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return st;
}

Result<std::vector<std::pair<int64_t, double>>> ReadTxn::TimeSeries(int64_t project,
                                                                    const std::string& metric,
                                                                    int64_t bucket_ms,
                                                                    int64_t since_ms,
                                                                    int64_t until_ms) {
  std::vector<std::pair<int64_t, double>> out;
  Status s = GuardSqlite([&] {
    const char* sql = nullptr;
    if (metric == "executions") {
      sql =
          "SELECT (started_at / ?1) * ?1 AS t, COUNT(*) FROM executions"
          " WHERE project = ?2 AND started_at >= ?3 AND started_at < ?4 GROUP BY t ORDER BY t";
    } else if (metric == "failures") {
      sql =
          "SELECT (x.started_at / ?1) * ?1 AS t, COUNT(*) FROM executions x"
          " WHERE x.project = ?2 AND x.started_at >= ?3 AND x.started_at < ?4"
          " AND EXISTS (SELECT 1 FROM findings f WHERE f.execution = x.id)"
          " GROUP BY t ORDER BY t";
    } else if (metric == "events") {
      sql =
          "SELECT (timestamp / ?1) * ?1 AS t, COUNT(*) FROM events"
          " WHERE project = ?2 AND timestamp >= ?3 AND timestamp < ?4 GROUP BY t ORDER BY t";
    } else {
      sql =
          "SELECT (started_at / ?1) * ?1 AS t, COALESCE(SUM(estimated_cost_usd), 0)"
          " FROM executions WHERE project = ?2 AND started_at >= ?3 AND started_at < ?4"
          " GROUP BY t ORDER BY t";
    }
    SQLite::Statement q(conn_->db(), sql);
    q.bind(1, bucket_ms);
    q.bind(2, project);
    q.bind(3, since_ms);
    q.bind(4, until_ms);
    while (q.executeStep()) out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getDouble());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status ReadTxn::Ping() {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare("SELECT COUNT(*) FROM schema_migrations");
    q.executeStep();
    return Status::Ok();
  });
}

}  // namespace vigil
