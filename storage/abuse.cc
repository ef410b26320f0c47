// Abuse signals and the suspensions they lead to (storage/abuse.h).
#include "storage/abuse.h"

#include <tuple>

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

#define VIGIL_ABUSE_SELECT                                                                    \
  "SELECT s.signal_id, s.project, p.project_id, s.kind, s.severity, s.detail, s.detected_at," \
  " COALESCE(s.notified_at, 0), COALESCE(s.suspended_at, 0), COALESCE(s.resolved_at, 0),"     \
  " s.resolved_by, s.resolution_note FROM abuse_signals s JOIN projects p ON p.id = s.project"

AbuseSignal ReadAbuse(SQLite::Statement& q) {
  AbuseSignal a;
  ReadColumns(q, 0, a.signal_id, a.project, a.project_id, a.kind, a.severity, a.detail_json,
              a.detected_at_ms, a.notified_at_ms, a.suspended_at_ms, a.resolved_at_ms,
              a.resolved_by, a.resolution_note);
  return a;
}

}  // namespace

Status InsertAbuseSignal(WriteTxn& txn, const AbuseSignal& a) {
  return Execute(
      txn.conn(),
      "INSERT INTO abuse_signals(signal_id, project, kind, severity, detail, detected_at,"
      " notified_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      a.signal_id, a.project, a.kind, a.severity, NullIfEmpty{a.detail_json}, a.detected_at_ms,
      NullIfZero{a.notified_at_ms});
}

Result<std::optional<AbuseSignal>> ResolveAbuseSignal(WriteTxn& txn, const std::string& signal_id,
                                                      const std::string& note, bool reactivate,
                                                      int64_t now_ms, bool* reactivated) {
  std::optional<AbuseSignal> out;
  *reactivated = false;
  Status s = GuardSqlite([&] {
    out = FirstRow(Prepared(txn.conn(), VIGIL_ABUSE_SELECT " WHERE s.signal_id = ?", signal_id),
                   ReadAbuse);
    if (!out) return Status::Ok();
    Exec(txn.conn(),
         "UPDATE abuse_signals SET resolved_at = ?, resolved_by = 'admin', resolution_note = ?"
         " WHERE signal_id = ?",
         now_ms, NullIfEmpty{note}, signal_id);
    out->resolved_at_ms = now_ms;
    out->resolved_by = "admin";
    out->resolution_note = note;
    if (reactivate && out->suspended_at_ms) {
      // Only a suspension this signal caused is lifted; an operator's own suspension stays.
      *reactivated = Exec(txn.conn(),
                          "UPDATE projects SET suspended_at = NULL, suspended_reason = NULL"
                          " WHERE id = ? AND suspended_reason = ?",
                          out->project, "abuse:" + out->kind) == 1;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<int64_t>> SuspendForAbuse(WriteTxn& txn, int64_t cutoff_ms, int64_t now_ms) {
  return Query<std::vector<int64_t>>([&](std::vector<int64_t>& out) {
    const auto due = AllRows(
        Prepared(txn.conn(),
                 "SELECT signal_id, project, kind FROM abuse_signals WHERE resolved_at IS NULL"
                 " AND suspended_at IS NULL AND detected_at <= ? ORDER BY detected_at LIMIT 500",
                 cutoff_ms),
        [](SQLite::Statement& q) {
          return std::make_tuple(q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                                 q.getColumn(2).getString());
        });
    for (const auto& [signal_id, project, kind] : due) {
      const int suspended = Exec(txn.conn(),
                                 "UPDATE projects SET suspended_at = ?, suspended_reason = ?"
                                 " WHERE id = ? AND suspended_at IS NULL",
                                 now_ms, "abuse:" + kind, project);
      if (suspended == 1) out.push_back(project);
      // Marked even when the project was already suspended: the signal has had its effect.
      Exec(txn.conn(), "UPDATE abuse_signals SET suspended_at = ? WHERE signal_id = ?", now_ms,
           signal_id);
    }
    return Status::Ok();
  });
}

Result<int64_t> PruneResolvedAbuse(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return Changes(txn.conn(),
                 "DELETE FROM abuse_signals WHERE signal_id IN (SELECT signal_id FROM"
                 " abuse_signals WHERE resolved_at IS NOT NULL AND resolved_at < ? LIMIT ?)",
                 cutoff_ms, limit);
}

Result<std::vector<AbuseSignal>> ListAbuseSignals(Txn& txn, bool include_resolved, int64_t limit) {
  return SelectAll(txn.conn(),
                   include_resolved ? VIGIL_ABUSE_SELECT
                       " ORDER BY s.detected_at DESC, s.signal_id LIMIT ?"
                                    : VIGIL_ABUSE_SELECT
                       " WHERE s.resolved_at IS NULL"
                       " ORDER BY s.detected_at DESC, s.signal_id LIMIT ?",
                   ReadAbuse, limit);
}

}  // namespace vigil::storage
