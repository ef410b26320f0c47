// The audit log (docs/api.md#audit-log): a customer's own (GET /audit-log) and the operator's view
// across projects (GET /admin/audit-log), as pages of JSON or one streamed NDJSON download.
#include "server/audit/handlers.h"

#include "server/audit/audit.h"
#include "server/http/stream.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/projects.h"

namespace vigil {
namespace {

// Reads limit/offset/since/until/action/exclude_action into `f`.
Status ParseAuditFilter(const RequestContext& ctx, AuditFilter* f) {
  for (Status s : {ctx.TimeParam("since", &f->since_ms), ctx.TimeParam("until", &f->until_ms)}) {
    if (!s.ok()) return s;
  }
  f->action = ctx.Query("action");
  f->exclude_action = ctx.Query("exclude_action");
  for (const char* name : {"action", "exclude_action"}) {
    if (ctx.Query(name).size() > limits::kMaxIdBytes) {
      return Status::InvalidArgument("invalid " + std::string(name) + ": longer than " +
                                     std::to_string(limits::kMaxIdBytes) + " bytes");
    }
  }
  f->limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  f->offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  return Status::Ok();
}

}  // namespace

void AuditHandlers::Send(RequestContext& ctx, const AuditFilter& f) {
  const std::string format = ctx.Query("format");
  if (format == "ndjson") {
    auto slot = f.all_projects ? AcquireAdminStreamSlot() : AcquireProjectStreamSlot(f.project);
    if (!slot) {
      return SendError(ctx, Status::Overloaded("too many downloads in progress, retry later"));
    }
    // Everything that matches, oldest first, in pages read by short transactions: a slow reader
    // never holds a snapshot (which would keep the WAL from being reset) for long.
    return SendNdjsonStream(drain_, ctx, std::move(slot), "", [this, f](const EmitLine& emit) {
      AuditFilter page = f;
      page.limit = limits::kAuditStreamPage;
      for (;;) {
        auto read =
            store_.ReadValue([&](ReadTxn& txn) { return storage::ListAuditAfter(txn, page); });
        if (!read.ok()) return read.status();
        const std::vector<AuditEntry>& rows = read.value();
        for (const AuditEntry& e : rows) {
          JsonWriter w;
          WriteAuditEntry(w, e);
          if (!emit(w.Take())) return Status::Ok();
        }
        if (static_cast<int64_t>(rows.size()) < page.limit) return Status::Ok();
        page.after_audit_id = rows.back().audit_id;
      }
    });
  }
  if (!format.empty() && format != "json") {
    return SendError(ctx, Status::InvalidArgument("invalid format: must be json or ndjson"));
  }
  auto read = store_.ReadValue([&](ReadTxn& txn) { return storage::ListAudit(txn, f); });
  if (!read.ok()) return SendError(ctx, read.status());
  const std::vector<AuditEntry>& entries = read.value();
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("entries").BeginArray();
  for (const AuditEntry& e : entries) WriteAuditEntry(w, e);
  w.EndArray()
      .Field("count", static_cast<int64_t>(entries.size()))
      .Field("limit", f.limit)
      .Field("offset", f.offset)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void AuditHandlers::ProjectLog(RequestContext& ctx) {
  AuditFilter f;
  f.project = ctx.auth.project;
  Status s = ParseAuditFilter(ctx, &f);
  if (!s.ok()) return SendError(ctx, s);
  Send(ctx, f);
}

void AuditHandlers::AdminLog(RequestContext& ctx) {
  AuditFilter f;
  f.all_projects = true;
  Status s = ParseAuditFilter(ctx, &f);
  if (!s.ok()) return SendError(ctx, s);
  const std::string project_id = ctx.Query("project_id");
  if (!project_id.empty()) {
    auto project =
        store_.ReadValue([&](ReadTxn& txn) { return storage::FindProjectId(txn, project_id); });
    if (!project.ok()) return SendError(ctx, project.status());
    if (!project.value()) return SendError(ctx, Status::NotFound("project not found"));
    f.project = *project.value();
  }
  Send(ctx, f);
}

}  // namespace vigil
