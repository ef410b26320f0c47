// Projects: creation, settings, deletion and the admin views (storage/projects.h).
#include "storage/projects.h"

#include "storage/connection.h"
#include "storage/recent_event_ids.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// The next internal project id: past every id ever handed out (id_sequences), never a reused one.
#define VIGIL_NEXT_PROJECT_ID                                    \
  "MAX((SELECT last FROM id_sequences WHERE name = 'projects')," \
  " (SELECT COALESCE(MAX(id), 0) FROM projects)) + 1"

// Records the id just inserted as the high-water mark (same transaction as the insert).
void AdvanceProjectSequence(Connection* conn) {
  Exec(conn, "UPDATE id_sequences SET last = ? WHERE name = 'projects'",
       conn->db().getLastInsertRowid());
}

#define VIGIL_ADMIN_PROJECT_SELECT                                                      \
  "SELECT p.id, p.project_id, p.name, p.owner_email, p.created_at, p.tier,"             \
  " COALESCE(p.stripe_customer_id, ''), COALESCE(p.stripe_subscription_id, ''),"        \
  " COALESCE(p.current_period_start, 0), COALESCE(p.current_period_end, 0),"            \
  " p.executions_this_period, p.granted_executions,"                                    \
  " COALESCE(p.granted_executions_expires_at, 0), COALESCE(p.tier_expires_at, 0),"      \
  " COALESCE(p.suspended_at, 0), COALESCE(p.suspended_reason, ''), p.rate_limit_burst," \
  " p.rate_limit_per_sec, p.retention_days,"                                            \
  " (SELECT COALESCE(MAX(x.started_at), 0) FROM executions x WHERE x.project = p.id),"  \
  " (SELECT COUNT(*) FROM executions x WHERE x.project = p.id),"                        \
  " COALESCE(p.usage_month_start, 0)"                                                   \
  " FROM projects p"

AdminProject ReadAdminProject(SQLite::Statement& q) {
  AdminProject p;
  ReadColumns(q, 0, p.id, p.project_id, p.name, p.owner_email, p.created_at_ms, p.tier,
              p.stripe_customer_id, p.stripe_subscription_id, p.current_period_start_ms,
              p.current_period_end_ms, p.executions_this_period, p.granted_executions,
              p.granted_executions_expires_at_ms, p.tier_expires_at_ms, p.suspended_at_ms,
              p.suspension_reason, p.rate_limit_burst, p.rate_limit_per_sec, p.retention_days,
              p.last_activity_at_ms, p.total_executions, p.usage_month_start_ms);
  return p;
}

ProjectInfo ReadProjectInfo(SQLite::Statement& q) {
  ProjectInfo p;
  ReadColumns(q, 0, p.id, p.project_id, p.name, p.owner_email, p.tier, p.created_at_ms);
  return p;
}

ProjectUsage ReadProjectUsage(SQLite::Statement& q) {
  ProjectUsage u;
  ReadColumns(q, 0, u.id, u.project_id, u.name, u.owner_email, u.tier, u.executions, u.events,
              u.failure_groups, u.estimated_bytes);
  return u;
}

}  // namespace

Result<int64_t> EnsureProject(WriteTxn& txn, const std::string& project_id, const std::string& name,
                              Tier tier, int64_t now_ms) {
  return Query<int64_t>([&](int64_t& id) {
    const int inserted =
        Exec(txn.conn(),
             "INSERT INTO projects(id, project_id, name, tier, created_at) VALUES"
             " (" VIGIL_NEXT_PROJECT_ID ", ?, ?, ?, ?) ON CONFLICT(project_id) DO NOTHING",
             project_id, name, tier, now_ms);
    if (inserted == 1) AdvanceProjectSequence(txn.conn());
    const auto found = FirstRow(
        Prepared(txn.conn(), "SELECT id FROM projects WHERE project_id = ?", project_id), IntAt0);
    if (!found) return Status::Internal("project vanished after insert");
    id = *found;
    return Status::Ok();
  });
}

Result<int64_t> CreateProject(WriteTxn& txn, const std::string& project_id, const std::string& name,
                              const std::string& owner_email, Tier tier, int64_t now_ms) {
  return Query<int64_t>([&](int64_t& id) {
    const int inserted =
        Exec(txn.conn(),
             "INSERT INTO projects(id, project_id, name, owner_email, tier, created_at) VALUES"
             " (" VIGIL_NEXT_PROJECT_ID ", ?, ?, ?, ?, ?) ON CONFLICT(project_id) DO NOTHING",
             project_id, name, owner_email, tier, now_ms);
    if (inserted != 1) return Status::Conflict("project id already exists");
    id = txn.conn()->db().getLastInsertRowid();
    AdvanceProjectSequence(txn.conn());
    return Status::Ok();
  });
}

Result<std::optional<ProjectInfo>> GetProject(Txn& txn, int64_t project) {
  return SelectOne(
      txn.conn(),
      "SELECT id, project_id, name, owner_email, tier, created_at FROM projects WHERE id = ?",
      ReadProjectInfo, project);
}

Result<std::optional<int64_t>> FindProjectId(Txn& txn, const std::string& project_id) {
  return SelectOne(txn.conn(), "SELECT id FROM projects WHERE project_id = ?", IntAt0, project_id);
}

Status SetTier(WriteTxn& txn, int64_t project, Tier tier, int64_t expires_at_ms) {
  return Execute(txn.conn(), "UPDATE projects SET tier = ?, tier_expires_at = ? WHERE id = ?", tier,
                 NullIfZero{expires_at_ms}, project);
}

Status AddGrant(WriteTxn& txn, int64_t project, int64_t delta, int64_t expires_at_ms) {
  return Execute(txn.conn(),
                 "UPDATE projects SET granted_executions = granted_executions + ?,"
                 " granted_executions_expires_at = ? WHERE id = ?",
                 delta, NullIfZero{expires_at_ms}, project);
}

Status SetRateLimit(WriteTxn& txn, int64_t project, std::optional<double> burst,
                    std::optional<double> per_sec) {
  return Execute(txn.conn(),
                 "UPDATE projects SET rate_limit_burst = ?, rate_limit_per_sec = ? WHERE id = ?",
                 burst, per_sec, project);
}

Status SetSuspended(WriteTxn& txn, int64_t project, bool suspended, const std::string& reason,
                    int64_t now_ms) {
  const std::string stored_reason = suspended ? reason : std::string();
  return Execute(txn.conn(),
                 "UPDATE projects SET suspended_at = ?, suspended_reason = ? WHERE id = ?",
                 NullIfZero{suspended ? now_ms : 0}, NullIfEmpty{stored_reason}, project);
}

Status SetRetention(WriteTxn& txn, int64_t project, std::optional<int64_t> days) {
  return Execute(txn.conn(), "UPDATE projects SET retention_days = ? WHERE id = ?", days, project);
}

Status DeleteProject(WriteTxn& txn, int64_t project) {
  txn.recent()->NoteDeletes();
  return GuardSqlite([&] {
    // Tables without a foreign key to projects go first; the rest cascade from the project row.
    for (const char* sql :
         {"DELETE FROM findings WHERE project = ?", "DELETE FROM model_usage WHERE project = ?",
          "DELETE FROM events WHERE project = ?", "DELETE FROM audit_log WHERE project = ?",
          "DELETE FROM stripe_events WHERE project = ?", "DELETE FROM projects WHERE id = ?"}) {
      SQLite::Statement q(txn.conn()->db(), sql);
      q.bind(1, project);
      q.exec();
    }
    return Status::Ok();
  });
}

Result<std::vector<std::pair<int64_t, int64_t>>> RetentionPolicies(Txn& txn, int64_t default_days) {
  return SelectAll(
      txn.conn(),
      "SELECT id, COALESCE(retention_days, ?) FROM projects WHERE COALESCE(retention_days, ?) > 0",
      [](SQLite::Statement& q) {
        return std::make_pair(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
      },
      default_days, default_days);
}

Result<std::vector<AdminProject>> ListAdminProjects(Txn& txn, int64_t limit, int64_t offset) {
  return SelectAll(txn.conn(),
                   VIGIL_ADMIN_PROJECT_SELECT
                   " ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?",
                   ReadAdminProject, limit, offset);
}

Result<std::optional<AdminProject>> GetAdminProject(Txn& txn, const std::string& project_id) {
  return SelectOne(txn.conn(), VIGIL_ADMIN_PROJECT_SELECT " WHERE p.project_id = ?",
                   ReadAdminProject, project_id);
}

Result<std::optional<AdminProject>> GetAdminProjectById(Txn& txn, int64_t project) {
  return SelectOne(txn.conn(), VIGIL_ADMIN_PROJECT_SELECT " WHERE p.id = ?", ReadAdminProject,
                   project);
}

Result<std::vector<ProjectUsage>> ProjectUsages(Txn& txn) {
  return SelectAll(txn.conn(),
                   "SELECT p.id, p.project_id, p.name, p.owner_email, p.tier,"
                   " (SELECT COUNT(*) FROM executions x WHERE x.project = p.id),"
                   " (SELECT COUNT(*) FROM events e WHERE e.project = p.id),"
                   " (SELECT COUNT(*) FROM failure_groups g WHERE g.project = p.id),"
                   " (SELECT COALESCE(SUM(length(e.payload) + length(e.event_id) + 48), 0)"
                   "   FROM events e WHERE e.project = p.id)"
                   " + (SELECT COUNT(*) * 160 FROM executions x WHERE x.project = p.id)"
                   " FROM projects p",
                   ReadProjectUsage);
}

}  // namespace vigil::storage
