// Admin export (docs/api.md#admin-projects): everything a project owns as streamed NDJSON, from one
// snapshot, in bounded memory. Secrets stay out: keys without their hash, webhooks without their
// secret.
#include "server/admin/export_handlers.h"

#include <functional>
#include <map>

#include "domain/base64.h"
#include "domain/time_util.h"
#include "domain/tlog/note.h"
#include "server/admin/project_change.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/resources.h"
#include "server/http/stream.h"
#include "server/limits.h"
#include "server/transparency/transparency.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/export.h"
#include "storage/keys.h"
#include "storage/projects.h"
#include "storage/transparency.h"
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

// Emits `{"type":<type>,"data":<data>}` lines and counts them by type for the `end` line. Once
// the client has gone, every further line is dropped and open() is false.
class ExportWriter {
 public:
  explicit ExportWriter(const EmitLine& emit) : emit_(emit) {}

  bool open() const { return open_; }

  template <typename Fn>
  bool Line(const char* type, Fn&& write_data) {
    if (!open_) return false;
    JsonWriter w;
    w.BeginObject().Field("type", type).Key("data");
    write_data(w);
    w.EndObject();
    ++counts_[type];
    open_ = emit_(w.Take());
    return open_;
  }

  void End() {
    JsonWriter w;
    w.BeginObject().Field("type", "end").Key("data").BeginObject().Key("counts").BeginObject();
    for (const auto& [type, n] : counts_) w.Field(type, n);
    w.EndObject().EndObject().EndObject();
    if (open_) open_ = emit_(w.Take());
  }

 private:
  const EmitLine& emit_;
  std::map<std::string, int64_t> counts_;
  bool open_ = true;
};

// The header line, the project and its keys (without their hashes).
Status ExportAccount(ReadTxn& txn, const AdminProject& p, int64_t now_ms, ExportWriter& out) {
  out.Line("export", [&](JsonWriter& w) {
    w.BeginObject()
        .Field("schema_version", 1)
        .Field("exported_at", FormatRfc3339Ms(now_ms))
        .Field("project_id", p.project_id)
        .EndObject();
  });
  out.Line("project", [&](JsonWriter& w) { WriteAdminProject(w, p); });
  auto keys = storage::ListKeys(txn, p.id);
  if (!keys.ok()) return keys.status();
  for (const ApiKeyRow& k : keys.value()) {
    if (!out.Line("api_key", [&](JsonWriter& w) { WriteApiKey(w, k, p.project_id); })) break;
  }
  return Status::Ok();
}

// Every execution followed by its events.
Status ExportExecutions(ReadTxn& txn, const AdminProject& p, ExportWriter& out) {
  return storage::ForEachExecution(txn, p.id, [&](int64_t row, const Execution& e) {
    if (!out.Line("execution", [&](JsonWriter& w) { WriteExecution(w, e, p.project_id, true); })) {
      return false;
    }
    Status inner = storage::ForEachEventOf(txn, p.id, row, [&](const Event& ev) {
      return out.Line("event", [&](JsonWriter& w) { WriteEvent(w, ev); });
    });
    return inner.ok() && out.open();
  });
}

// Failure groups, page by page, then every finding.
Status ExportDetection(ReadTxn& txn, const AdminProject& p, ExportWriter& out) {
  for (int64_t offset = 0; out.open(); offset += limits::kExportGroupPage) {
    auto groups = storage::ListFailureGroups(txn, p.id, limits::kExportGroupPage, offset);
    if (!groups.ok()) return groups.status();
    for (const FailureGroupRow& g : groups.value()) {
      if (!out.Line("failure_group", [&](JsonWriter& w) { WriteFailureGroup(w, g, p.project_id); }))
        break;
    }
    if (static_cast<int64_t>(groups.value().size()) < limits::kExportGroupPage) break;
  }
  if (!out.open()) return Status::Ok();
  return storage::ForEachFinding(
      txn, p.id, [&](const std::string& execution_id, const StoredFinding& f) {
        return out.Line("finding", [&](JsonWriter& w) { WriteFinding(w, f, execution_id); });
      });
}

// Webhooks (without their secrets) and their delivery log.
Status ExportWebhooks(ReadTxn& txn, const AdminProject& p, ExportWriter& out) {
  auto hooks = storage::ListWebhooks(txn, p.id);
  if (!hooks.ok()) return hooks.status();
  for (const WebhookRow& h : hooks.value()) {
    if (!out.Line("webhook", [&](JsonWriter& w) { WriteWebhook(w, h, p.project_id); })) break;
  }
  if (!out.open()) return Status::Ok();
  return storage::ForEachWebhookDelivery(
      txn, p.id, [&](const std::string& webhook_id, const WebhookAttemptRow& a) {
        return out.Line("webhook_delivery", [&](JsonWriter& w) {
          WriteWebhookDelivery(w, a, webhook_id, p.project_id);
        });
      });
}

Status ExportAudit(ReadTxn& txn, const AdminProject& p, ExportWriter& out) {
  AuditFilter f;
  f.project = p.id;
  return storage::ForEachAudit(txn, f, [&](const AuditEntry& e) {
    return out.Line("audit", [&](JsonWriter& w) { WriteAuditEntry(w, e); });
  });
}

// Each entry of the project's log (docs/transparency.md), in index order, as `type` lines
// written by `line`; stops when the client has gone.
template <typename Fn>
Status ForEachSeal(ReadTxn& txn, int64_t project, Fn&& line) {
  for (uint64_t next = 0;;) {
    auto seals = storage::ListSeals(txn, project, next, limits::kSealBatch);
    if (!seals.ok()) return seals.status();
    for (const storage::SealRecord& r : seals.value()) {
      auto open = line(r);
      if (!open.ok()) return open.status();
      if (!open.value()) return Status::Ok();
    }
    if (static_cast<int64_t>(seals.value().size()) < limits::kSealBatch) return Status::Ok();
    next = seals.value().back().index + 1;
  }
}

// The project's transparency log (docs/transparency.md): every entry with its index, the
// checkpoint `note` (signed for the export; else the latest stored one) and the certificate of
// every entry it covers, each verifiable offline with `vigil verify`.
Status ExportTransparency(ReadTxn& txn, const AdminProject& p, const std::string& note,
                          ExportWriter& out) {
  Status s = ForEachSeal(txn, p.id, [&](const storage::SealRecord& r) -> Result<bool> {
    return out.Line("transparency_entry", [&](JsonWriter& w) {
      w.BeginObject()
          .Field("index", static_cast<int64_t>(r.index))
          .Field("execution_id", r.execution_id)
          .Field("sealed_at", FormatRfc3339Ms(r.sealed_at_ms))
          .Field("entry", Base64Encode(r.entry))
          .EndObject();
    });
  });
  if (!s.ok() || !out.open()) return s;
  std::string checkpoint = note;
  if (checkpoint.empty()) {
    auto stored = storage::LatestCheckpoint(txn, p.id);
    if (!stored.ok()) return stored.status();
    if (!stored.value()) return Status::Ok();
    checkpoint = stored.value()->note;
  }
  auto parsed = tlog::ParseCheckpoint(checkpoint.substr(0, checkpoint.find("\n\n") + 1));
  if (!parsed.ok()) return Status::Internal("checkpoint does not parse");
  const uint64_t size = parsed->size;
  if (!out.Line("transparency_checkpoint", [&](JsonWriter& w) {
        w.BeginObject()
            .Field("tree_size", static_cast<int64_t>(size))
            .Field("note", checkpoint)
            .EndObject();
      })) {
    return Status::Ok();
  }
  return ForEachSeal(txn, p.id, [&](const storage::SealRecord& r) -> Result<bool> {
    if (r.index >= size) return false;  // appended after the checkpoint: no more to prove
    auto hashes = tlog::InclusionProof(r.index, size, storage::TreeNodes(txn, p.id));
    if (!hashes.ok()) return hashes.status();
    const std::string proof = tlog::FormatProofText({r.index, hashes.value(), checkpoint});
    return out.Line("transparency_certificate", [&](JsonWriter& w) {
      w.BeginObject()
          .Field("execution_id", r.execution_id)
          .Field("entry", Base64Encode(r.entry))
          .Field("index", static_cast<int64_t>(r.index))
          .Field("proof", proof)
          .EndObject();
    });
  });
}

// Writes the sections in order; stops quietly when the client goes, and the `end` line (with
// the counts) only after every section.
Status ExportProject(ReadTxn& txn, const AdminProject& p, int64_t now_ms, const std::string& note,
                     const EmitLine& emit) {
  ExportWriter out(emit);
  const std::function<Status()> sections[] = {
      [&] { return ExportAccount(txn, p, now_ms, out); },
      [&] { return ExportExecutions(txn, p, out); },
      [&] { return ExportDetection(txn, p, out); },
      [&] { return ExportWebhooks(txn, p, out); },
      [&] { return ExportAudit(txn, p, out); },
      [&] { return ExportTransparency(txn, p, note, out); },
  };
  for (const auto& section : sections) {
    Status s = section();
    if (!s.ok()) return s;
    if (!out.open()) return Status::Ok();
  }
  out.End();
  return Status::Ok();
}

}  // namespace

void ExportHandlers::Export(RequestContext& ctx) {
  auto p = FindAdminProject(store_, ctx);
  if (!p) return;
  auto slot = AcquireAdminStreamSlot();
  if (!slot) {
    return SendError(ctx, Status::Overloaded("too many exports in progress, retry later"));
  }
  // The export's own audit row commits before the stream starts, so it is part of the export.
  Status s = store_.Write([&](WriteTxn& txn) {
    return storage::InsertAudit(txn, ActionEntry(ctx, "admin.export", 200, "", p->id));
  });
  if (!s.ok()) return SendError(ctx, s);
  // A checkpoint covering every entry sealed so far, signed before the snapshot is taken so that
  // the snapshot holds every entry it covers. Without a signing key the latest stored one is used.
  auto signed_note = log_.FullCheckpoint(p->id, p->project_id, ctx.now_ms);
  std::string note = signed_note.ok() ? signed_note.value() : std::string();
  const int64_t now_ms = ctx.now_ms, project = p->id;
  SendNdjsonStream(drain_, ctx, std::move(slot), ExportFilename(p->project_id),
                   [this, project, now_ms, note](const EmitLine& emit) {
                     // One read transaction for the whole export: every line comes from one
                     // snapshot, the project row included. (Admin-only: a slow reader holds that
                     // snapshot meanwhile.)
                     return store_.Read([&](ReadTxn& txn) {
                       auto row = storage::GetAdminProjectById(txn, project);
                       if (!row.ok()) return row.status();
                       if (!row.value()) return Status::NotFound("project deleted during export");
                       return ExportProject(txn, *row.value(), now_ms, note, emit);
                     });
                   });
}

}  // namespace vigil
