// Read API (spec §6) and health (§14.1). Reads use pooled read-only connections and never wait for
// the writer.
#include "server/handlers.h"

#include <cstdlib>
#include <filesystem>

#include "domain/time_util.h"
#include "server/app/app.h"
#include "server/codec/json_codec.h"
#include "server/limits.h"
#include "storage/database.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "storage/projects.h"
#include "storage/stats.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

Status IdFilter(const RequestContext& ctx, const char* name, std::string* out) {
  *out = ctx.Query(name);
  if (out->size() > limits::kMaxIdBytes) {
    return Status::InvalidArgument("invalid " + std::string(name) + ": longer than " +
                                   std::to_string(limits::kMaxIdBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

void WriteFinding(JsonWriter& w, const StoredFinding& f, const std::string& execution_id) {
  w.BeginObject();
  if (!execution_id.empty()) w.Field("execution_id", execution_id);
  w.Field("detector", f.detector)
      .Field("failure_class", f.failure_class)
      .Field("signature", f.signature)
      .Field("group_id", f.group_id)
      .Field("detected_at", FormatRfc3339Ms(f.detected_at_ms))
      .Field("source", f.source)
      .EndObject();
}

void HandleHealth(App& app, RequestContext& ctx) {
  Status s = app.store().Read([](ReadTxn& txn) { return storage::Ping(txn); });
  if (!s.ok()) return SendError(ctx, Status::Unavailable("database unavailable"));
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("service", "vigil")
      .Field("version", VIGIL_VERSION)
      .Field("time", FormatRfc3339Ms(ctx.now_ms))
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleGetProject(App& app, RequestContext& ctx) {
  std::optional<ProjectInfo> info;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::GetProject(txn, ctx.auth.project);
    if (!r.ok()) return r.status();
    info = r.value();
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  if (!info) return SendError(ctx, Status::NotFound("project not found"));
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("project_id", info->project_id)
      .Field("name", info->name)
      .Field("owner_email", info->owner_email)
      .Field("created_at", FormatRfc3339Ms(info->created_at_ms))
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleListExecutions(App& app, RequestContext& ctx) {
  ExecutionFilter f;
  f.limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  f.offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  f.status = ctx.Query("status");
  if (!f.status.empty() && !IsValidStatus(f.status)) {
    return SendError(ctx, Status::InvalidArgument("invalid status: " + f.status));
  }
  for (Status s : {ctx.TimeParam("started_after", &f.started_after_ms),
                   ctx.TimeParam("started_before", &f.started_before_ms),
                   IdFilter(ctx, "parent_execution_id", &f.parent_execution_id),
                   IdFilter(ctx, "failure_group_id", &f.failure_group_id),
                   IdFilter(ctx, "sdk_language", &f.sdk_language)}) {
    if (!s.ok()) return SendError(ctx, s);
  }
  std::vector<Execution> list;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListExecutions(txn, ctx.auth.project, f);
    if (!r.ok()) return r.status();
    list = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  WriteExecutionPage(w, list, ctx.auth.project_id, f.limit, f.offset);
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleGetExecution(App& app, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  std::optional<ExecutionDetail> d;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::GetExecution(txn, ctx.auth.project, id, limits::kMaxEventsInDetail);
    if (!r.ok()) return r.status();
    d = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  if (!d) return SendError(ctx, Status::NotFound("execution not found"));
  Execution& e = d->execution;
  if (e.total_tokens_in == 0 && e.total_tokens_out == 0) {
    e.total_tokens_in = d->llm_tokens_in;
    e.total_tokens_out = d->llm_tokens_out;
  }
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("execution");
  WriteExecution(w, e, ctx.auth.project_id, false);
  w.Key("events").BeginArray();
  for (const Event& ev : d->events) WriteEvent(w, ev);
  w.EndArray().Key("findings").BeginArray();
  for (const StoredFinding& f : d->findings) WriteFinding(w, f, std::string());
  w.EndArray()
      .Field("events_total", d->events_total)
      .Field("events_truncated", d->events_total > static_cast<int64_t>(d->events.size()))
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleListExecutionEvents(App& app, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  const int64_t limit =
      ctx.PageParam("limit", limits::kDefaultEventPageSize, 1, limits::kMaxEventPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  std::optional<std::vector<Event>> events;
  int64_t total = 0;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListEvents(txn, ctx.auth.project, id, limit, offset, &total);
    if (!r.ok()) return r.status();
    events = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  if (!events) return SendError(ctx, Status::NotFound("execution not found"));
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("events").BeginArray();
  for (const Event& ev : *events) WriteEvent(w, ev);
  w.EndArray()
      .Field("count", static_cast<int64_t>(events->size()))
      .Field("limit", limit)
      .Field("offset", offset)
      .Field("total", total)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleMetrics(App& app, RequestContext& ctx) {
  Metrics::Gauges g;
  g.write_queue = static_cast<int64_t>(app.store().QueueDepth());
  g.halt_streams = static_cast<int64_t>(app.halts().open());
  std::error_code ec;
  const auto db = std::filesystem::file_size(app.store().path(), ec);
  g.database_bytes = ec ? 0 : static_cast<int64_t>(db);
  const auto wal = std::filesystem::file_size(app.store().path() + "-wal", ec);
  g.wal_bytes = ec ? 0 : static_cast<int64_t>(wal);
  g.wal_bound_checkpoints = app.store().WalBoundCheckpoints();
  g.wal_bound_misses = app.store().WalBoundMisses();
  g.event_id_merge_failures = app.store().EventIdMergeFailures();
  g.audit_dropped = app.store().AuditDropped();
  g.abuse_signals = app.abuse().signals();
  const ConnectionCounters cut = GetConnectionCounters();
  g.slow_heads_cut = cut.heads_timed_out;
  g.heads_too_large = cut.heads_too_large;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::CountOutbox(txn);
    if (!r.ok()) return r.status();
    g.webhook_outbox = r.value();
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  ctx.res->status = 200;
  ctx.res->set_content(app.metrics().Render(g), "text/plain; version=0.0.4; charset=utf-8");
}

void HandleStatsTimeSeries(App& app, RequestContext& ctx) {
  constexpr int64_t kHourMs = 3600 * 1000, kDayMs = 24 * kHourMs, kMaxPoints = 1000;
  std::string metric = ctx.Query("metric");
  if (metric.empty()) metric = "executions";
  if (metric != "executions" && metric != "failures" && metric != "events" &&
      metric != "cost_usd") {
    return SendError(ctx,
                     Status::InvalidArgument(
                         "invalid metric: must be executions, failures, events or cost_usd"));
  }
  std::string bucket = ctx.Query("bucket");
  if (bucket.empty()) bucket = "day";
  if (bucket != "hour" && bucket != "day") {
    return SendError(ctx, Status::InvalidArgument("invalid bucket: must be hour or day"));
  }
  const int64_t bucket_ms = bucket == "hour" ? kHourMs : kDayMs;
  std::optional<int64_t> since, until;
  for (Status s : {ctx.TimeParam("since", &since), ctx.TimeParam("until", &until)}) {
    if (!s.ok()) return SendError(ctx, s);
  }
  const int64_t until_ms = until.value_or(ctx.now_ms);
  const int64_t since_ms = since.value_or(until_ms - 7 * kDayMs);
  if (since_ms > until_ms) {
    return SendError(ctx, Status::InvalidArgument("invalid since: after until"));
  }
  const int64_t first = since_ms / bucket_ms * bucket_ms;
  if ((until_ms - first) / bucket_ms + 1 > kMaxPoints) {
    return SendError(
        ctx, Status::InvalidArgument("invalid since: more than 1000 points for this bucket"));
  }
  std::vector<std::pair<int64_t, double>> rows;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::TimeSeries(txn, ctx.auth.project, metric, bucket_ms, first, until_ms + 1);
    if (!r.ok()) return r.status();
    rows = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("metric", metric).Field("bucket", bucket);
  w.Key("points").BeginArray();
  size_t next = 0;
  for (int64_t t = first; t <= until_ms; t += bucket_ms) {  // empty buckets are 0
    double value = 0;
    if (next < rows.size() && rows[next].first == t) value = rows[next++].second;
    w.BeginObject().Field("t", FormatRfc3339Ms(t));
    if (metric == "cost_usd") {
      w.FieldDouble("value", value);
    } else {
      w.Field("value", static_cast<int64_t>(value));
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleStats(App& app, RequestContext& ctx) {
  ProjectStats st;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::GetStats(txn, ctx.auth.project, ctx.now_ms);
    if (!r.ok()) return r.status();
    st = r.value();
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("total_executions", st.total_executions)
      .Field("completed_executions", st.completed_executions)
      .Field("crashed_24h", st.crashed_24h)
      .Field("open_failure_groups", st.open_failure_groups)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
