#include "server/ops/handlers.h"

#include <filesystem>
#include <fstream>

#include "domain/time_util.h"
#include "server/admin/abuse.h"
#include "server/halt/halt.h"
#include "server/http/front.h"
#include "server/http/log.h"
#include "server/http/metrics.h"
#include "server/limits.h"
#include "storage/database.h"
#include "storage/store.h"
#include "storage/webhooks.h"

namespace vigil {

std::string HealthReason(const Status& fault) {
  switch (fault.code()) {
    case Code::kOk:
      return "";
    case Code::kStorageCorrupt:
      return "database is corrupt: " + fault.message();
    default:
      return "database is not writable: " + fault.message();
  }
}

namespace {

// The 503 of an unhealthy server: the usual error envelope plus the reason, for the operator (the
// reason is SQLite's text for the condition, never request data).
void SendUnhealthy(RequestContext& ctx, const std::string& reason) {
  ctx.error = Code::kUnavailable;
  ctx.error_text = reason;
  JsonWriter w;
  w.BeginObject()
      .Field("ok", false)
      .Field("error", "database unavailable")
      .Field("status", "unavailable")
      .Field("reason", reason)
      .EndObject();
  SendJson(*ctx.res, HttpStatusFor(Code::kUnavailable), w.Take());
}

}  // namespace

void OpsHandlers::Health(RequestContext& ctx) {
  const Status fault = store_.Fault();
  if (!fault.ok()) return SendUnhealthy(ctx, HealthReason(fault));
  Status s = store_.Read([](ReadTxn& txn) { return storage::Ping(txn); });
  if (!s.ok()) return SendUnhealthy(ctx, "database is not readable: " + s.message());
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("service", "vigil")
      .Field("version", VIGIL_VERSION)
      .Field("time", FormatRfc3339Ms(ctx.now_ms))
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void OpsHandlers::Scrape(RequestContext& ctx) {
  Metrics::Gauges g;
  g.write_queue = static_cast<int64_t>(store_.QueueDepth());
  g.halt_streams = static_cast<int64_t>(streams_.open());
  std::error_code ec;
  const auto db = std::filesystem::file_size(store_.path(), ec);
  g.database_bytes = ec ? 0 : static_cast<int64_t>(db);
  const auto wal = std::filesystem::file_size(store_.path() + "-wal", ec);
  g.wal_bytes = ec ? 0 : static_cast<int64_t>(wal);
  g.wal_bound_checkpoints = store_.WalBoundCheckpoints();
  g.wal_bound_misses = store_.WalBoundMisses();
  g.event_id_merge_failures = store_.EventIdMergeFailures();
  g.event_id_filter_bytes = store_.EventIdFilterBytes();
  g.event_id_filter_failures = store_.EventIdFilterFailures();
  g.event_id_memory_bytes = store_.EventIdMemoryBytes();
  g.audit_dropped = store_.AuditDropped();
  g.abuse_signals = abuse_.signals();
  const ConnectionCounters cut = GetConnectionCounters();
  g.slow_heads_cut = cut.requests_timed_out;
  g.heads_too_large = cut.heads_too_large;
  auto outbox = store_.ReadValue([](ReadTxn& txn) { return storage::CountOutbox(txn); });
  if (!outbox.ok()) return SendError(ctx, outbox.status());
  g.webhook_outbox = outbox.value();
  ctx.res->status = 200;
  ctx.res->set_content(metrics_.Render(g), "text/plain; version=0.0.4; charset=utf-8");
}

void OpsHandlers::SecurityTxt(RequestContext& ctx) {
  const std::string& path = security_txt_;
  if (path.empty()) return SendError(ctx, Status::NotFound("not found"));
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<size_t>(limits::kMaxSecurityTxtBytes), '\0');
  in.read(text.data(), limits::kMaxSecurityTxtBytes);
  if (in.bad() || (!in.eof() && in.gcount() == limits::kMaxSecurityTxtBytes) || !in.is_open()) {
    log::Warn("security.txt unreadable or too large", {log::Str("path", path)});
    return SendError(ctx, Status::NotFound("not found"));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  ctx.res->status = 200;
  ctx.res->set_content(text, "text/plain; charset=utf-8");
}

}  // namespace vigil
