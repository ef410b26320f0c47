// Detection endpoints (spec §6, §8.2, §8.7): failure groups, policy, playbooks.
#include "server/handlers.h"

#include <cstdlib>

#include "detectors/playbooks.h"
#include "domain/time_util.h"
#include "server/app/app.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/policy_codec.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/executions.h"

namespace vigil {
namespace {}  // namespace

void WriteFailureGroup(JsonWriter& w, const FailureGroupRow& g, const std::string& project_id) {
  w.BeginObject()
      .Field("group_id", g.group_id)
      .Field("project_id", project_id)
      .Field("failure_class", g.failure_class)
      .Field("signature", g.signature)
      .Field("first_seen", FormatRfc3339Ms(g.first_seen_ms))
      .Field("last_seen", FormatRfc3339Ms(g.last_seen_ms))
      .Field("event_count", g.affected_executions)
      .Field("affected_executions", g.affected_executions);
  if (g.cost_wasted_usd > 0) w.FieldDouble("cost_wasted_usd", g.cost_wasted_usd);
  if (!g.sample_execution_id.empty()) w.Field("sample_execution_id", g.sample_execution_id);
  w.EndObject();
}

namespace {

Result<std::optional<FailureGroupRow>> FindGroup(App& app, const RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  std::optional<FailureGroupRow> g;
  if (id.size() > limits::kMaxIdBytes) return g;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::GetFailureGroup(txn, ctx.auth.project, id);
    if (!r.ok()) return r.status();
    g = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return g;
}

}  // namespace

void HandleListFailureGroups(App& app, RequestContext& ctx) {
  const int64_t limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  std::vector<FailureGroupRow> groups;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListFailureGroups(txn, ctx.auth.project, limit, offset);
    if (!r.ok()) return r.status();
    groups = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("failure_groups").BeginArray();
  for (const auto& g : groups) WriteFailureGroup(w, g, ctx.auth.project_id);
  w.EndArray()
      .Field("count", static_cast<int64_t>(groups.size()))
      .Field("limit", limit)
      .Field("offset", offset)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleGetFailureGroup(App& app, RequestContext& ctx) {
  auto g = FindGroup(app, ctx);
  if (!g.ok()) return SendError(ctx, g.status());
  if (!g.value()) return SendError(ctx, Status::NotFound("failure group not found"));
  JsonWriter w;
  WriteFailureGroup(w, *g.value(), ctx.auth.project_id);  // bare object, as the reference protocol
  SendJson(*ctx.res, 200, w.Take());
}

void HandleListGroupExecutions(App& app, RequestContext& ctx) {
  auto g = FindGroup(app, ctx);
  if (!g.ok()) return SendError(ctx, g.status());
  if (!g.value()) return SendError(ctx, Status::NotFound("failure group not found"));
  ExecutionFilter f;
  f.failure_group_id = g.value()->group_id;
  f.limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  f.offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
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
  w.Field("group_id", f.failure_group_id).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleGetPolicy(App& app, RequestContext& ctx) {
  auto policy = app.detection().PolicyFor(ctx.auth.project);
  if (!policy.ok()) return SendError(ctx, policy.status());
  SendJson(*ctx.res, 200, "{\"ok\":true,\"policy\":" + PolicyToJson(policy.value()) + "}");
}

void HandlePutPolicy(App& app, RequestContext& ctx) {
  auto policy = ParsePolicy(ctx.body, app.detection().default_preset());
  if (!policy.ok()) return SendError(ctx, policy.status());
  const std::string json = PolicyToJson(policy.value());
  Status s = app.store().Write([&](WriteTxn& txn) {
    Status u = storage::PutPolicy(txn, ctx.auth.project, json, ctx.now_ms);
    if (!u.ok()) return u;
    return storage::InsertAudit(txn, ActionEntry(ctx, "policy.update", 200));
  });
  if (!s.ok()) return SendError(ctx, s);
  app.detection().SetPolicyCache(ctx.auth.project, policy.value());
  SendJson(*ctx.res, 200, "{\"ok\":true,\"policy\":" + json + "}");
}

void HandleGetPlaybook(App&, RequestContext& ctx) {
  const std::string cls = ctx.Query("failure_class"), sig = ctx.Query("signature");
  if (cls.empty() || sig.empty()) {
    return SendError(
        ctx,
        Status::InvalidArgument("failure_class and signature query parameters are both required"));
  }
  auto text = FindPlaybook(cls, sig);
  if (!text) {
    return SendError(
        ctx, Status::NotFound("no playbook for failure_class=" + cls + " signature=" + sig));
  }
  ctx.res->status = 200;
  ctx.res->set_header("Cache-Control", "public, max-age=300");
  ctx.res->set_content(*text, "text/markdown; charset=utf-8");
}

}  // namespace vigil
