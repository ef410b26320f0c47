#include "server/detection/handlers.h"

#include <cstdlib>

#include "detectors/playbooks.h"
#include "domain/time_util.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/policy_codec.h"
#include "server/codec/resources.h"
#include "server/detection/detection.h"
#include "server/limits.h"
#include "server/reads/handlers.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/executions.h"
#include "storage/store.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

Result<std::optional<FailureGroupRow>> FindGroup(Store& store, const RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) return std::optional<FailureGroupRow>();
  return store.ReadValue(
      [&](ReadTxn& txn) { return storage::GetFailureGroup(txn, ctx.auth.project, id); });
}

// The `state` filter of GET /failure-groups: open unless asked (what an issue tracker shows
// first), nullopt for `all`.
Status StateFilter(const RequestContext& ctx, std::optional<GroupState>* state) {
  const std::string word = ctx.Query("state");
  if (word == "all") {
    state->reset();
    return Status::Ok();
  }
  *state = word.empty() ? GroupState::kOpen : ParseGroupState(word);
  if (*state) return Status::Ok();
  return Status::InvalidArgument("invalid state: must be open, resolved, muted or all");
}

// The audit action of a move to `to`.
const char* LifecycleAction(GroupState to) {
  switch (to) {
    case GroupState::kResolved:
      return "failure_group.resolve";
    case GroupState::kMuted:
      return "failure_group.mute";
    case GroupState::kOpen:
      break;
  }
  return "failure_group.reopen";
}

}  // namespace

void DetectionHandlers::ListGroups(RequestContext& ctx) {
  std::optional<GroupState> state;
  Status filter = StateFilter(ctx, &state);
  if (!filter.ok()) return SendError(ctx, filter);
  const int64_t limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  auto groups_result = store_.ReadValue([&](ReadTxn& txn) {
    return storage::ListFailureGroups(txn, ctx.auth.project, state, limit, offset);
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
      .Field("state", state ? GroupStateName(*state) : std::string_view("all"))
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void DetectionHandlers::ChangeGroupState(RequestContext& ctx, GroupState to) {
  const std::string& id = ctx.params[0];
  const Status missing = Status::NotFound("failure group not found");
  if (id.size() > limits::kMaxIdBytes) return SendError(ctx, missing);
  std::optional<FailureGroupRow> group;
  bool changed = false;
  Status s = store_.Write([&](WriteTxn& txn) {
    auto before =
        storage::SetGroupState(txn, ctx.auth.project, id, to, ctx.auth.key_id, ctx.now_ms);
    if (!before.ok()) return before.status();
    if (!before.value()) return missing;
    changed = *before.value() != to;
    if (changed && to == GroupState::kMuted) {
      // A muted group sends nothing, also what was queued before it was muted.
      auto dropped = storage::DropGroupWebhookMessages(txn, ctx.auth.project, id);
      if (!dropped.ok()) return dropped.status();
    }
    if (changed) {
      JsonWriter detail;
      detail.BeginObject()
          .Field("group_id", id)
          .Field("previous_state", GroupStateName(*before.value()))
          .EndObject();
      Status a =
          storage::InsertAudit(txn, ActionEntry(ctx, LifecycleAction(to), 200, detail.Take()));
      if (!a.ok()) return a;
    }
    auto after = storage::GetFailureGroup(txn, ctx.auth.project, id);
    if (!after.ok()) return after.status();
    group = std::move(after.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("changed", changed).Key("failure_group");
  WriteFailureGroup(w, *group, ctx.auth.project_id);
  w.EndObject();
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
  SendExecutionPage(store_, ctx, f, f.failure_group_id);
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
