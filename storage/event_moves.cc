// Moving stored events between two executions of a project (storage/events.h MoveEvents).
#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "domain/merge.h"
#include "storage/connection.h"
#include "storage/events.h"
#include "storage/rows.h"
#include "storage/sql.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// The row of a running execution, creating it as started when `create` and missing; nullopt when
// it is terminal (or missing and not to be created). A created one starts at `started_ms`.
std::optional<int64_t> RunningRow(Connection* conn, int64_t project, const std::string& id,
                                  bool create, int64_t started_ms, int64_t now_ms) {
  if (std::optional<ExecutionRow> row = FindExecutionRow(conn, project, id)) {
    if (IsTerminal(row->execution.status)) return std::nullopt;
    return row->id;
  }
  if (!create) return std::nullopt;
  ExecutionPatch patch;
  patch.execution_id = id;
  return InsertExecutionRow(conn, project, MergeExecution(std::nullopt, patch, started_ms, now_ms),
                            now_ms);
}

}  // namespace

Result<int64_t> MoveEvents(WriteTxn& txn, int64_t project, const std::vector<EventMove>& moves,
                           int64_t now_ms) {
  return Query<int64_t>([&](int64_t& moved) {
    Connection* conn = txn.conn();
    std::map<std::pair<std::string, std::string>, std::vector<const EventMove*>> groups;
    for (const EventMove& m : moves) {
      if (m.from_execution_id == m.to_execution_id) continue;
      groups[{m.from_execution_id, m.to_execution_id}].push_back(&m);
    }
    for (const auto& [pair, group] : groups) {
      const std::optional<int64_t> from =
          RunningRow(conn, project, pair.first, false, now_ms, now_ms);
      if (!from) continue;
      // Event sequences of mapped spans are their start in microseconds.
      int64_t first_us = group.front()->sequence;
      for (const EventMove* m : group) first_us = std::min(first_us, m->sequence);
      const std::optional<int64_t> to =
          RunningRow(conn, project, pair.second, true, first_us / 1000, now_ms);
      if (!to) continue;
      int64_t n = 0;
      for (const EventMove* m : group) {
        n += Exec(conn,
                  "UPDATE events SET execution = ? WHERE execution = ? AND sequence = ?"
                  " AND project = ? AND event_id = ?",
                  *to, *from, m->sequence, project, m->event_id);
      }
      if (n == 0) continue;
      Exec(conn,
           "UPDATE executions SET event_count = event_count + ?, revision = revision + 1,"
           " last_received_at = ? WHERE project = ? AND id = ?",
           n, now_ms, project, *to);
      Exec(conn,
           "UPDATE executions SET event_count = event_count - ?, revision = revision + 1"
           " WHERE project = ? AND id = ?",
           n, project, *from);
      moved += n;
    }
    return Status::Ok();
  });
}

}  // namespace vigil::storage
