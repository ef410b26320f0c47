// Abuse signals and the suspensions they lead to (storage/abuse.h).
#include "storage/abuse.h"

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
  a.signal_id = q.getColumn(0).getString();
  a.project = q.getColumn(1).getInt64();
  a.project_id = q.getColumn(2).getString();
  a.kind = q.getColumn(3).getString();
  a.severity = q.getColumn(4).getString();
  a.detail_json = Text(q, 5);
  a.detected_at_ms = q.getColumn(6).getInt64();
  a.notified_at_ms = q.getColumn(7).getInt64();
  a.suspended_at_ms = q.getColumn(8).getInt64();
  a.resolved_at_ms = q.getColumn(9).getInt64();
  a.resolved_by = Text(q, 10);
  a.resolution_note = Text(q, 11);
  return a;
}

}  // namespace

Status InsertAbuseSignal(WriteTxn& txn, const AbuseSignal& a) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(
        "INSERT INTO abuse_signals(signal_id, project, kind, severity, detail, detected_at,"
        " notified_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, a.signal_id);
    q.bind(2, a.project);
    q.bind(3, a.kind);
    q.bind(4, a.severity);
    BindText(q, 5, a.detail_json);
    q.bind(6, a.detected_at_ms);
    BindInt(q, 7, a.notified_at_ms);
    q.exec();
    return Status::Ok();
  });
}

Result<std::optional<AbuseSignal>> ResolveAbuseSignal(WriteTxn& txn, const std::string& signal_id,
                                                      const std::string& note, bool reactivate,
                                                      int64_t now_ms, bool* reactivated) {
  std::optional<AbuseSignal> out;
  *reactivated = false;
  Status s = GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(VIGIL_ABUSE_SELECT " WHERE s.signal_id = ?");
    q.bind(1, signal_id);
    if (!q.executeStep()) return Status::Ok();
    out = ReadAbuse(q);
    q.reset();
    auto& u = txn.conn()->Prepare(
        "UPDATE abuse_signals SET resolved_at = ?, resolved_by = 'admin', resolution_note = ?"
        " WHERE signal_id = ?");
    u.bind(1, now_ms);
    BindText(u, 2, note);
    u.bind(3, signal_id);
    u.exec();
    out->resolved_at_ms = now_ms;
    out->resolved_by = "admin";
    out->resolution_note = note;
    if (reactivate && out->suspended_at_ms) {
      // Only a suspension this signal caused is lifted; an operator's own suspension stays.
      auto& r = txn.conn()->Prepare(
          "UPDATE projects SET suspended_at = NULL, suspended_reason = NULL"
          " WHERE id = ? AND suspended_reason = ?");
      r.bind(1, out->project);
      r.bind(2, "abuse:" + out->kind);
      *reactivated = r.exec() == 1;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<int64_t>> SuspendForAbuse(WriteTxn& txn, int64_t cutoff_ms, int64_t now_ms) {
  return Query<std::vector<int64_t>>([&](std::vector<int64_t>& out) {
    std::vector<std::tuple<std::string, int64_t, std::string>> due;
    auto& q = txn.conn()->Prepare(
        "SELECT signal_id, project, kind FROM abuse_signals WHERE resolved_at IS NULL"
        " AND suspended_at IS NULL AND detected_at <= ? ORDER BY detected_at LIMIT 500");
    q.bind(1, cutoff_ms);
    while (q.executeStep()) {
      due.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                       q.getColumn(2).getString());
    }
    for (const auto& [signal_id, project, kind] : due) {
      auto& p = txn.conn()->Prepare(
          "UPDATE projects SET suspended_at = ?, suspended_reason = ? WHERE id = ?"
          " AND suspended_at IS NULL");
      p.bind(1, now_ms);
      p.bind(2, "abuse:" + kind);
      p.bind(3, project);
      if (p.exec() == 1) out.push_back(project);
      // Marked even when the project was already suspended: the signal has had its effect.
      auto& m =
          txn.conn()->Prepare("UPDATE abuse_signals SET suspended_at = ? WHERE signal_id = ?");
      m.bind(1, now_ms);
      m.bind(2, signal_id);
      m.exec();
    }
    return Status::Ok();
  });
}

Result<int64_t> PruneResolvedAbuse(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(
      txn.conn(),
      "DELETE FROM abuse_signals WHERE signal_id IN (SELECT signal_id FROM"
      " abuse_signals WHERE resolved_at IS NOT NULL AND resolved_at < ? LIMIT ?)",
      cutoff_ms, limit);
}

Result<std::vector<AbuseSignal>> ListAbuseSignals(Txn& txn, bool include_resolved, int64_t limit) {
  return Query<std::vector<AbuseSignal>>([&](std::vector<AbuseSignal>& out) {
    auto& q = txn.conn()->Prepare(include_resolved ? VIGIL_ABUSE_SELECT
                                      " ORDER BY s.detected_at DESC, s.signal_id LIMIT ?"
                                                   : VIGIL_ABUSE_SELECT
                                      " WHERE s.resolved_at IS NULL"
                                      " ORDER BY s.detected_at DESC, s.signal_id LIMIT ?");
    q.bind(1, limit);
    while (q.executeStep()) out.push_back(ReadAbuse(q));
    return Status::Ok();
  });
}

}  // namespace vigil::storage
