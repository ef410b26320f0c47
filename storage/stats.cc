// Aggregates over executions, events and findings (storage/stats.h).
#include "storage/stats.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {

Result<ProjectStats> GetStats(Txn& txn, int64_t project, int64_t now_ms) {
  return Query<ProjectStats>([&](ProjectStats& st) {
    auto& q = Prepared(txn.conn(),
                       "SELECT COUNT(*), COALESCE(SUM(status = 'completed'), 0),"
                       " COALESCE(SUM(status = 'crashed' AND started_at >= ?), 0)"
                       " FROM executions WHERE project = ?",
                       now_ms - int64_t{24} * 3600 * 1000, project);
    if (q.executeStep()) {
      st.total_executions = q.getColumn(0).getInt64();
      st.completed_executions = q.getColumn(1).getInt64();
      st.crashed_24h = q.getColumn(2).getInt64();
    }
    // Open groups that an execution still holds a finding in: resolved and muted ones are
    // handled, and a group whose executions are all gone (retention) is history.
    auto& groups =
        Prepared(txn.conn(),
                 "SELECT COUNT(*) FROM failure_groups g"
                 " WHERE g.project = ? AND g.state = 'open' AND EXISTS (SELECT 1"
                 " FROM findings f WHERE f.project = g.project AND f.group_id = g.group_id)",
                 project);
    st.open_failure_groups = FirstRow(groups, IntAt0).value_or(0);
    return Status::Ok();
  });
}

Result<std::vector<std::pair<int64_t, double>>> TimeSeries(Txn& txn, int64_t project,
                                                           const std::string& metric,
                                                           int64_t bucket_ms, int64_t since_ms,
                                                           int64_t until_ms) {
  return Query<std::vector<std::pair<int64_t, double>>>(
      [&](std::vector<std::pair<int64_t, double>>& out) {
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
              "SELECT (started_at / ?1) * ?1 AS t,"
              " MIN(TOTAL(estimated_cost_usd), " VIGIL_MAX_SUM_REAL
              ")"
              " FROM executions WHERE project = ?2 AND started_at >= ?3 AND started_at < ?4"
              " GROUP BY t ORDER BY t";
        }
        SQLite::Statement q(txn.conn()->db(), sql);
        BindAll(q, bucket_ms, project, since_ms, until_ms);
        out = AllRows(q, [](SQLite::Statement& r) {
          return std::make_pair(r.getColumn(0).getInt64(), r.getColumn(1).getDouble());
        });
        return Status::Ok();
      });
}

Result<std::vector<std::pair<int64_t, int64_t>>> ExecutionsPerDay(Txn& txn, int64_t project,
                                                                  int64_t since_ms,
                                                                  int64_t until_ms) {
  return SelectAll(
      txn.conn(),
      "SELECT started_at / 86400000 AS day, COUNT(*) FROM executions"
      " WHERE project = ? AND started_at >= ? AND started_at <= ? GROUP BY day ORDER BY day",
      [](SQLite::Statement& q) {
        return std::make_pair(q.getColumn(0).getInt64() * 86400000, q.getColumn(1).getInt64());
      },
      project, since_ms, until_ms);
}

Result<int64_t> CountExecutionsStarted(Txn& txn, int64_t project, int64_t since_ms,
                                       int64_t until_ms) {
  return SelectInt(
      txn.conn(),
      "SELECT COUNT(*) FROM executions WHERE project = ? AND started_at >= ? AND started_at < ?",
      project, since_ms, until_ms);
}

}  // namespace vigil::storage
