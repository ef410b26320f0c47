#include "server/ingest/handlers.h"

#include "server/admin/abuse.h"
#include "server/codec/ids.h"
#include "server/codec/json_codec.h"
#include "server/detection/detection.h"
#include "server/http/metrics.h"
#include "server/limits.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "storage/store.h"

namespace vigil {
namespace {

void WriteUpsertResponse(httplib::Response& res, const std::string& execution_id,
                         const UpsertResult& r) {
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("execution_id", execution_id)
      .Field("status", ExecutionStatusName(r.status))
      .Field("created", r.created)
      .EndObject();
  SendJson(res, 200, w.Take());
}

}  // namespace

void IngestHandlers::UpsertExecution(RequestContext& ctx, ExecutionPatch patch,
                                     const std::string& body_project_id) {
  if (!body_project_id.empty() && body_project_id != ctx.auth.project_id) {
    return SendError(ctx,
                     Status::Forbidden("project_id in body does not match authenticated project"));
  }
  auto merged = MergeExecution(ctx, patch);
  if (!merged.ok()) return SendError(ctx, merged.status());
  UpsertResult& result = merged.value();
  WriteUpsertResponse(*ctx.res, patch.execution_id, result);
}

Result<UpsertResult> IngestHandlers::MergeExecution(RequestContext& ctx,
                                                    const ExecutionPatch& patch) {
  auto policy = detection_.PolicyFor(ctx.auth.project);
  if (!policy.ok()) return policy.status();
  auto upserted = store_.WriteValue([&](WriteTxn& txn) {
    return storage::UpsertExecution(txn, ctx.auth.project, patch, ctx.now_ms);
  });
  if (!upserted.ok()) return upserted.status();
  UpsertResult& result = upserted.value();
  if (result.created)
    abuse_.OnExecutionsCreated(ctx.auth.project, ctx.auth.project_id, 1, ctx.now_ms);
  // A terminal execution gets its final pass before the response.
  if (IsTerminal(result.status)) {
    Status s = detection_.FinalPass(ctx.auth.project, ctx.auth.project_id, patch.execution_id,
                                    policy.value(), ctx.now_ms);
    if (!s.ok()) return s;
  }
  result.execution.execution_id = patch.execution_id;
  detection_.OnExecutionWritten(ctx.auth.project, result.execution);
  return std::move(result);
}

bool IngestHandlers::detection_fields() const { return detection_.enabled(); }

void IngestHandlers::CreateExecution(RequestContext& ctx) {
  std::string body_project_id;
  auto patch = ParseExecutionBody(ctx.body, &body_project_id);
  if (!patch.ok()) return SendError(ctx, patch.status());
  if (patch->execution_id.empty()) {
    return SendError(ctx, Status::InvalidArgument("execution_id is required"));
  }
  UpsertExecution(ctx, std::move(patch.value()), body_project_id);
}

void IngestHandlers::PatchExecution(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (Status valid = CheckPathId("execution_id", id); !valid.ok()) return SendError(ctx, valid);
  std::string body_project_id;
  auto patch = ParseExecutionBody(ctx.body, &body_project_id);
  if (!patch.ok()) return SendError(ctx, patch.status());
  patch->execution_id = id;  // PATCH uses the path
  UpsertExecution(ctx, std::move(patch.value()), body_project_id);
}

Status IngestHandlers::RerunFinalPasses(RequestContext& ctx, const IngestResult& result,
                                        const Policy& policy) {
  for (const TouchedExecution& t : result.touched) {
    if (!t.terminal || t.inserted == 0) continue;
    Status s = detection_.FinalPass(ctx.auth.project, ctx.auth.project_id, t.execution_id, policy,
                                    ctx.now_ms);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

void IngestHandlers::ForgetMoved(int64_t project, const std::vector<storage::EventMove>& moves) {
  for (const storage::EventMove& m : moves) {
    detection_.ForgetLive(project, m.from_execution_id);
    detection_.ForgetLive(project, m.to_execution_id);
  }
}

Status IngestHandlers::StoreEvents(RequestContext& ctx, const std::vector<Event>& events,
                                   IngestResult* result,
                                   const std::vector<storage::EventMove>& moves) {
  // Moves of stored events only: no event is new, so there is no live pass to run.
  const auto move = [&](WriteTxn& txn) {
    if (moves.empty()) return Status::Ok();
    return storage::MoveEvents(txn, ctx.auth.project, moves, ctx.now_ms).status();
  };
  if (events.empty()) {
    if (moves.empty()) return Status::Ok();
    Status s = store_.Write(move);
    if (s.ok()) ForgetMoved(ctx.auth.project, moves);
    return s;
  }
  auto policy = detection_.PolicyFor(ctx.auth.project);
  if (!policy.ok()) return policy.status();
  const LivePlan plan = detection_.PrepareLive(ctx.auth.project, ctx.auth.project_id, events,
                                               policy.value(), ctx.now_ms);
  // Events, implicit executions and the live findings they cause commit together.
  Status s = store_.Write([&](WriteTxn& txn) {
    auto r = storage::IngestEvents(txn, ctx.auth.project, events, ctx.now_ms);
    if (!r.ok()) return r.status();
    *result = std::move(r.value());
    if (Status m = move(txn); !m.ok()) return m;
    return detection_.ApplyLive(txn, ctx.auth.project, plan, *result, ctx.now_ms);
  });
  detection_.FinishLive(ctx.auth.project, plan, s.ok() ? result : nullptr, policy.value(),
                        ctx.now_ms);
  if (!s.ok()) return s;
  ForgetMoved(ctx.auth.project, moves);
  abuse_.OnExecutionsCreated(ctx.auth.project, ctx.auth.project_id, result->created_executions,
                             ctx.now_ms);
  return RerunFinalPasses(ctx, *result, policy.value());
}

void IngestHandlers::IngestEvents(RequestContext& ctx) {
  auto batch = ParseEventBatch(ctx.body, ctx.now_ms, detection_.enabled());
  if (!batch.ok()) return SendError(ctx, batch.status());
  // Repeats within the batch are duplicates decided here, off the writer thread.
  const auto repeated = static_cast<int64_t>(RemoveRepeatedEventIds(&batch->events));
  IngestResult result;
  if (Status s = StoreEvents(ctx, batch->events, &result); !s.ok()) return SendError(ctx, s);
  metrics_.AddEvents(result.accepted, static_cast<int64_t>(batch->errors.size()),
                     result.duplicates + repeated);
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("accepted", result.accepted)
      .Field("rejected", static_cast<int64_t>(batch->errors.size()))
      .Field("duplicates", result.duplicates + repeated);
  w.Key("errors").BeginArray();
  for (size_t i = 0; i < batch->errors.size() && i < limits::kMaxBatchErrorsListed; ++i) {
    w.BeginObject()
        .Field("index", static_cast<int64_t>(batch->errors[i].first))
        .Field("error", batch->errors[i].second)
        .EndObject();
  }
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
