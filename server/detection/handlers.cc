#include "server/detection/handlers.h"

#include <cstdlib>

#include "detectors/playbooks.h"
#include "domain/time_util.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/policy_codec.h"
#include "server/detection/detection.h"
#include "server/codec/resources.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/executions.h"
#include "storage/store.h"

namespace vigil {
namespace {

Result<std::optional<FailureGroupRow>> FindGroup(Store& store, const RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) return std::optional<FailureGroupRow>();
  return store.ReadValue(
      [&](ReadTxn& txn) { return storage::GetFailureGroup(txn, ctx.auth.project, id); });
}

}  // namespace

void DetectionHandlers::ListGroups(RequestContext& ctx) {
  const int64_t limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  auto groups_result = store_.ReadValue([&](ReadTxn& txn) {
    return storage::ListFailureGroups(txn, ctx.auth.project, limit, offset);
  });
  if (!groups_result.ok()) return SendError(ctx, groups_result.status());
  std::vector<FailureGroupRow>& groups = groups_result.value();
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

void DetectionHandlers::GetGroup(RequestContext& ctx) {
  auto g = FindGroup(store_, ctx);
  if (!g.ok()) return SendError(ctx, g.status());
  if (!g.value()) return SendError(ctx, Status::NotFound("failure group not found"));
  JsonWriter w;
  WriteFailureGroup(w, *g.value(), ctx.auth.project_id);  // bare object, as the reference protocol
  SendJson(*ctx.res, 200, w.Take());
}

void DetectionHandlers::ListGroupExecutions(RequestContext& ctx) {
  auto g = FindGroup(store_, ctx);
  if (!g.ok()) return SendError(ctx, g.status());
  if (!g.value()) return SendError(ctx, Status::NotFound("failure group not found"));
  ExecutionFilter f;
  f.failure_group_id = g.value()->group_id;
  f.limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  f.offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  auto list_result = store_.ReadValue(
      [&](ReadTxn& txn) { return storage::ListExecutions(txn, ctx.auth.project, f); });
  if (!list_result.ok()) return SendError(ctx, list_result.status());
  std::vector<Execution>& list = list_result.value();
  JsonWriter w;
  WriteExecutionPage(w, list, ctx.auth.project_id, f.limit, f.offset);
  w.Field("group_id", f.failure_group_id).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void DetectionHandlers::GetPolicy(RequestContext& ctx) {
  auto policy = detection_.PolicyFor(ctx.auth.project);
  if (!policy.ok()) return SendError(ctx, policy.status());
  SendJson(*ctx.res, 200, "{\"ok\":true,\"policy\":" + PolicyToJson(policy.value()) + "}");
}

void DetectionHandlers::PutPolicy(RequestContext& ctx) {
  auto policy = ParsePolicy(ctx.body, detection_.default_preset());
  if (!policy.ok()) return SendError(ctx, policy.status());
  const std::string json = PolicyToJson(policy.value());
  Status s = store_.Write([&](WriteTxn& txn) {
    Status u = storage::PutPolicy(txn, ctx.auth.project, json, ctx.now_ms);
    if (!u.ok()) return u;
    return storage::InsertAudit(txn, ActionEntry(ctx, "policy.update", 200));
  });
  if (!s.ok()) return SendError(ctx, s);
  detection_.SetPolicyCache(ctx.auth.project, policy.value());
  SendJson(*ctx.res, 200, "{\"ok\":true,\"policy\":" + json + "}");
}

void DetectionHandlers::GetPlaybook(RequestContext& ctx) {
  const std::string cls = ctx.Query("failure_class"), sig = ctx.Query("signature");
  if (cls.empty() || sig.empty()) {
    return SendError(ctx, Status::InvalidArgument(
                              "failure_class and signature query parameters are both required"));
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
