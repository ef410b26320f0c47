#include "server/admin/project_change.h"

#include "server/audit/audit.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/projects.h"
#include "storage/store.h"

namespace vigil {

std::optional<AdminProject> FindAdminProject(Store& store, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    SendError(ctx, Status::NotFound("project not found"));
    return std::nullopt;
  }
  auto p = store.ReadValue([&](ReadTxn& txn) { return storage::GetAdminProject(txn, id); });
  if (!p.ok()) {
    SendError(ctx, p.status());
    return std::nullopt;
  }
  if (!p.value()) SendError(ctx, Status::NotFound("project not found"));
  if (p.value()) ctx.audit_project = p.value()->id;
  return std::move(p.value());
}

void ChangeProject(Store& store, RequestContext& ctx, const PlanProjectChange& plan) {
  auto project = FindAdminProject(store, ctx);
  if (!project) return;
  auto change = plan(*project);
  if (!change.ok()) return SendError(ctx, change.status());
  JsonWriter detail;
  detail.BeginObject();
  change->detail(detail);
  detail.EndObject();
  AuditEntry audit = ActionEntry(ctx, change->action, 200, detail.Take(), project->id);
  if (change->audit_outlives_project) audit.project = 0;
  Status s = store.Write([&](WriteTxn& txn) {
    Status w = change->write(txn);
    if (!w.ok()) return w;
    return storage::InsertAudit(txn, audit);
  });
  if (!s.ok()) return SendError(ctx, s);
  // The request's own audit row must not name a project that no longer exists.
  if (change->audit_outlives_project) ctx.audit_project = 0;
  if (change->committed) change->committed();
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("project_id", project->project_id);
  change->answer(w);
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
