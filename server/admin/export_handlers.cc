// Admin export (spec §13.1): everything a project owns as streamed NDJSON, from one snapshot,
// in bounded memory. Secrets stay out: keys without their hash, webhooks without their secret.
#include "server/admin/export_handlers.h"

#include <map>

#include "domain/time_util.h"
#include "server/admin/project_change.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/resources.h"
#include "server/http/stream.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/export.h"
#include "storage/keys.h"
#include "storage/projects.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

std::string ExportFilename(const std::string& project_id) {
  std::string safe = project_id;
  for (char& c : safe) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return "vigil-export-" + safe + ".ndjson";
}

// Emits `{"type":<type>,"data":<data>}` lines and counts them by type for the `end` line.
class ExportWriter {
 public:
  explicit ExportWriter(const EmitLine& emit) : emit_(emit) {}

  template <typename Fn>
  bool Line(const char* type, Fn&& write_data) {
    JsonWriter w;
    w.BeginObject().Field("type", type).Key("data");
    write_data(w);
    w.EndObject();
    ++counts_[type];
    return emit_(w.Take());
  }

  bool End() {
    JsonWriter w;
    w.BeginObject().Field("type", "end").Key("data").BeginObject().Key("counts").BeginObject();
    for (const auto& [type, n] : counts_) w.Field(type, n);
    w.EndObject().EndObject().EndObject();
    return emit_(w.Take());
  }

 private:
  const EmitLine& emit_;
  std::map<std::string, int64_t> counts_;
};

Status ExportProject(ReadTxn& txn, const AdminProject& p, int64_t now_ms, const EmitLine& emit) {
  ExportWriter out(emit);
  const std::string& pid = p.project_id;
  if (!out.Line("export", [&](JsonWriter& w) {
        w.BeginObject()
            .Field("schema_version", 1)
            .Field("exported_at", FormatRfc3339Ms(now_ms))
            .Field("project_id", pid)
            .EndObject();
      })) {
    return Status::Ok();
  }
  if (!out.Line("project", [&](JsonWriter& w) { WriteAdminProject(w, p); })) return Status::Ok();

  auto keys = storage::ListKeys(txn, p.id);
  if (!keys.ok()) return keys.status();
  for (const ApiKeyRow& k : keys.value()) {
    if (!out.Line("api_key", [&](JsonWriter& w) { WriteApiKey(w, k, pid); })) return Status::Ok();
  }

  bool client_ok = true;
  Status s = storage::ForEachExecution(txn, p.id, [&](int64_t row, const Execution& e) {
    client_ok = out.Line("execution", [&](JsonWriter& w) { WriteExecution(w, e, pid, true); });
    if (!client_ok) return false;
    Status inner = storage::ForEachEventOf(txn, p.id, row, [&](const Event& ev) {
      client_ok = out.Line("event", [&](JsonWriter& w) { WriteEvent(w, ev); });
      return client_ok;
    });
    return inner.ok() && client_ok;
  });
  if (!s.ok() || !client_ok) return s;

  for (int64_t offset = 0;; offset += limits::kExportGroupPage) {
    auto groups = storage::ListFailureGroups(txn, p.id, limits::kExportGroupPage, offset);
    if (!groups.ok()) return groups.status();
    for (const FailureGroupRow& g : groups.value()) {
      if (!out.Line("failure_group", [&](JsonWriter& w) { WriteFailureGroup(w, g, pid); })) {
        return Status::Ok();
      }
    }
    if (static_cast<int64_t>(groups.value().size()) < limits::kExportGroupPage) break;
  }

  s = storage::ForEachFinding(
      txn, p.id, [&](const std::string& execution_id, const StoredFinding& f) {
        client_ok = out.Line("finding", [&](JsonWriter& w) { WriteFinding(w, f, execution_id); });
        return client_ok;
      });
  if (!s.ok() || !client_ok) return s;

  auto hooks = storage::ListWebhooks(txn, p.id);
  if (!hooks.ok()) return hooks.status();
  for (const WebhookRow& h : hooks.value()) {
    if (!out.Line("webhook", [&](JsonWriter& w) { WriteWebhook(w, h, pid); })) return Status::Ok();
  }
  s = storage::ForEachWebhookDelivery(
      txn, p.id, [&](const std::string& webhook_id, const WebhookAttemptRow& a) {
        client_ok = out.Line("webhook_delivery",
                             [&](JsonWriter& w) { WriteWebhookDelivery(w, a, webhook_id, pid); });
        return client_ok;
      });
  if (!s.ok() || !client_ok) return s;

  AuditFilter f;
  f.project = p.id;
  s = storage::ForEachAudit(txn, f, [&](const AuditEntry& e) {
    client_ok = out.Line("audit", [&](JsonWriter& w) { WriteAuditEntry(w, e); });
    return client_ok;
  });
  if (!s.ok() || !client_ok) return s;
  out.End();
  return Status::Ok();
}

}  // namespace

void ExportHandlers::Export(RequestContext& ctx) {
  auto p = FindAdminProject(store_, ctx);
  if (!p) return;
  auto slot = AcquireStreamSlot();
  if (!slot) {
    return SendError(ctx, Status::Overloaded("too many exports in progress, retry later"));
  }
  // The export's own audit row commits before the stream starts, so it is part of the export.
  Status s = store_.Write([&](WriteTxn& txn) {
    return storage::InsertAudit(txn, ActionEntry(ctx, "admin.export", 200, "", p->id));
  });
  if (!s.ok()) return SendError(ctx, s);
  const int64_t now_ms = ctx.now_ms, project = p->id;
  SendNdjsonStream(drain_, *ctx.res, std::move(slot), ExportFilename(p->project_id),
                   [this, project, now_ms](const EmitLine& emit) {
                     // One read transaction for the whole export: every line comes from one
                     // snapshot, the project row included. (Admin-only: a slow reader holds that
                     // snapshot meanwhile.)
                     return store_.Read([&](ReadTxn& txn) {
                       auto row = storage::GetAdminProjectById(txn, project);
                       if (!row.ok()) return row.status();
                       if (!row.value()) return Status::NotFound("project deleted during export");
                       return ExportProject(txn, *row.value(), now_ms, emit);
                     });
                   });
}

}  // namespace vigil
