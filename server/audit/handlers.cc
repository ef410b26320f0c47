// The audit log (spec §11): a customer's own (GET /audit-log) and the operator's view across
// projects (GET /admin/audit-log), as pages of JSON or one streamed NDJSON download.
#include "server/handlers.h"

#include "server/app/app.h"
#include "server/audit/audit.h"
#include "server/http/stream.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/projects.h"

namespace vigil {
namespace {

// Rows per read transaction of an NDJSON download.
constexpr int64_t kAuditStreamPage = 1000;

// Reads limit/offset/since/until/action into `f`.
Status ParseAuditFilter(const RequestContext& ctx, AuditFilter* f) {
  for (Status s : {ctx.TimeParam("since", &f->since_ms), ctx.TimeParam("until", &f->until_ms)}) {
    if (!s.ok()) return s;
  }
  f->action = ctx.Query("action");
  if (f->action.size() > limits::kMaxIdBytes) {
    return Status::InvalidArgument("invalid action: longer than " +
                                   std::to_string(limits::kMaxIdBytes) + " bytes");
  }
  f->limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  f->offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  return Status::Ok();
}

void SendAudit(App& app, RequestContext& ctx, const AuditFilter& f) {
  const std::string format = ctx.Query("format");
  if (format == "ndjson") {
    auto slot = AcquireStreamSlot();
    if (!slot) {
      return SendError(ctx, Status::Overloaded("too many downloads in progress, retry later"));
    }
    // Everything that matches, oldest first, in pages read by short transactions: a slow reader
    // never holds a snapshot (which would keep the WAL from being reset) for long.
    return SendNdjsonStream(app.pipeline(), *ctx.res, std::move(slot), "", [&app, f](const EmitLine& emit) {
      AuditFilter page = f;
      page.limit = kAuditStreamPage;
      for (;;) {
        std::vector<AuditEntry> rows;
        Status s = app.store().Read([&](ReadTxn& txn) {
          auto r = storage::ListAuditAfter(txn, page);
          if (!r.ok()) return r.status();
          rows = std::move(r.value());
          return Status::Ok();
        });
        if (!s.ok()) return s;
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
  std::vector<AuditEntry> entries;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListAudit(txn, f);
    if (!r.ok()) return r.status();
    entries = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
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

}  // namespace

void HandleAuditLog(App& app, RequestContext& ctx) {
  AuditFilter f;
  f.project = ctx.auth.project;
  Status s = ParseAuditFilter(ctx, &f);
  if (!s.ok()) return SendError(ctx, s);
  SendAudit(app, ctx, f);
}

void HandleAdminAuditLog(App& app, RequestContext& ctx) {
  AuditFilter f;
  f.all_projects = true;
  Status s = ParseAuditFilter(ctx, &f);
  if (!s.ok()) return SendError(ctx, s);
  const std::string project_id = ctx.Query("project_id");
  if (!project_id.empty()) {
    std::optional<int64_t> project;
    s = app.store().Read([&](ReadTxn& txn) {
      auto r = storage::FindProjectId(txn, project_id);
      if (!r.ok()) return r.status();
      project = r.value();
      return Status::Ok();
    });
    if (!s.ok()) return SendError(ctx, s);
    if (!project) return SendError(ctx, Status::NotFound("project not found"));
    f.project = *project;
  }
  SendAudit(app, ctx, f);
}

}  // namespace vigil
