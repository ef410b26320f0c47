// Read API (docs/api.md#reads) and health (docs/api.md#health). Reads use pooled read-only
// connections and never wait for the writer.
#include "server/reads/handlers.h"

#include <cstdlib>

#include "domain/time_util.h"
#include "server/codec/cause_codec.h"
#include "server/codec/json_codec.h"
#include "server/codec/resources.h"
#include "server/limits.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "storage/projects.h"
#include "storage/stats.h"
#include "storage/store.h"
#include "storage/transparency.h"

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

// `name` matches exactly; a longer value than any stored name could be is refused, not searched.
Status NameFilter(const RequestContext& ctx, std::string* out) {
  *out = ctx.Query("name");
  if (out->size() > limits::kMaxExecutionNameBytes) {
    return Status::InvalidArgument("invalid name: longer than " +
                                   std::to_string(limits::kMaxExecutionNameBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

void ReadHandlers::GetProject(RequestContext& ctx) {
  auto info_result =
      store_.ReadValue([&](ReadTxn& txn) { return storage::GetProject(txn, ctx.auth.project); });
  if (!info_result.ok()) return SendError(ctx, info_result.status());
  std::optional<ProjectInfo>& info = info_result.value();
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

void SendExecutionPage(Store& store, RequestContext& ctx, const ExecutionFilter& f,
                       const std::string& group_id) {
  auto list_result = store.ReadValue(
      [&](ReadTxn& txn) { return storage::ListExecutions(txn, ctx.auth.project, f); });
  if (!list_result.ok()) return SendError(ctx, list_result.status());
  JsonWriter w;
  WriteExecutionPage(w, list_result.value(), ctx.auth.project_id, f.limit, f.offset);
  if (!group_id.empty()) w.Field("group_id", group_id);
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void ReadHandlers::ListExecutions(RequestContext& ctx) {
  ExecutionFilter f;
  f.limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  f.offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  const std::string status = ctx.Query("status");
  if (!status.empty()) f.status = ParseExecutionStatus(status);
  if (!status.empty() && !f.status) {
    return SendError(ctx, Status::InvalidArgument("invalid status: " + status));
  }
  for (Status s : {ctx.TimeParam("started_after", &f.started_after_ms),
                   ctx.TimeParam("started_before", &f.started_before_ms),
                   IdFilter(ctx, "parent_execution_id", &f.parent_execution_id),
                   IdFilter(ctx, "failure_group_id", &f.failure_group_id),
                   IdFilter(ctx, "sdk_language", &f.sdk_language), NameFilter(ctx, &f.name)}) {
    if (!s.ok()) return SendError(ctx, s);
  }
  SendExecutionPage(store_, ctx, f, "");
}

namespace {

// The execution's seal in its project's transparency log (docs/transparency.md#sealing): null
// while unsealed; the events listed that arrived after it are named, being outside its transcript.
void WriteSeal(JsonWriter& w, const std::optional<storage::SealRecord>& seal,
               const std::vector<Event>& events) {
  w.Key("seal");
  if (!seal) {
    w.Null();
    return;
  }
  w.BeginObject()
      .Field("index", static_cast<int64_t>(seal->index))
      .Field("sealed_at", FormatRfc3339Ms(seal->sealed_at_ms))
      .Key("events_after_seal")
      .BeginArray();
  for (const Event& e : events) {
    if (e.arrival > seal->last_event) w.String(e.event_id);
  }
  w.EndArray().EndObject();
}

}  // namespace

void ReadHandlers::GetExecution(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  std::optional<storage::SealRecord> seal;
  auto d_result = store_.ReadValue([&](ReadTxn& txn) -> Result<std::optional<ExecutionDetail>> {
    auto sealed = storage::FindSeal(txn, ctx.auth.project, id);
    if (!sealed.ok()) return sealed.status();
    seal = std::move(sealed.value());
    return storage::GetExecution(txn, ctx.auth.project, id, limits::kMaxEventsInDetail);
  });
  if (!d_result.ok()) return SendError(ctx, d_result.status());
  std::optional<ExecutionDetail>& d = d_result.value();
  if (!d) return SendError(ctx, Status::NotFound("execution not found"));
  Execution& e = d->execution;
  if (e.total_tokens_in == 0 && e.total_tokens_out == 0) {
    e.total_tokens_in = d->llm_tokens_in;
    e.total_tokens_out = d->llm_tokens_out;
  }
  std::optional<ExceptionCause> cause;
  if (!d->exception_payload.empty()) cause = ParseExceptionCause(d->exception_payload);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("execution");
  WriteExecution(w, e, ctx.auth.project_id, false, cause ? &*cause : nullptr);
  w.Key("events").BeginArray();
  for (const Event& ev : d->events) WriteEvent(w, ev);
  w.EndArray().Key("findings").BeginArray();
  for (const StoredFinding& f : d->findings) WriteFinding(w, f, std::string());
  w.EndArray()
      .Field("events_total", d->events_total)
      .Field("events_truncated", d->events_total > static_cast<int64_t>(d->events.size()));
  WriteSeal(w, seal, d->events);
  SendJson(*ctx.res, 200, w.EndObject().Take());
}

void ReadHandlers::ListEvents(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  const int64_t limit =
      ctx.PageParam("limit", limits::kDefaultEventPageSize, 1, limits::kMaxEventPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  int64_t total = 0;
  auto listed = store_.ReadValue([&](ReadTxn& txn) {
    return storage::ListEvents(txn, ctx.auth.project, id, limit, offset, &total);
  });
  if (!listed.ok()) return SendError(ctx, listed.status());
  const std::optional<std::vector<Event>>& events = listed.value();
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

void ReadHandlers::TimeSeries(RequestContext& ctx) {
  constexpr int64_t kHourMs = 3600 * 1000, kDayMs = 24 * kHourMs;
  std::string metric = ctx.Query("metric");
  if (metric.empty()) metric = "executions";
  if (metric != "executions" && metric != "failures" && metric != "events" &&
      metric != "cost_usd") {
    return SendError(ctx, Status::InvalidArgument(
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
  if ((until_ms - first) / bucket_ms + 1 > limits::kMaxTimeSeriesPoints) {
    return SendError(ctx, Status::InvalidArgument("invalid since: more than " +
                                                  std::to_string(limits::kMaxTimeSeriesPoints) +
                                                  " points for this bucket"));
  }
  auto rows_result = store_.ReadValue([&](ReadTxn& txn) {
    return storage::TimeSeries(txn, ctx.auth.project, metric, bucket_ms, first, until_ms + 1);
  });
  if (!rows_result.ok()) return SendError(ctx, rows_result.status());
  std::vector<std::pair<int64_t, double>>& rows = rows_result.value();
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

void ReadHandlers::Stats(RequestContext& ctx) {
  auto st_result = store_.ReadValue(
      [&](ReadTxn& txn) { return storage::GetStats(txn, ctx.auth.project, ctx.now_ms); });
  if (!st_result.ok()) return SendError(ctx, st_result.status());
  ProjectStats& st = st_result.value();
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
