// Halt (spec §9): request a halt, and the SSE stream an SDK listens on.
#include "server/handlers.h"

#include <chrono>

#include "server/app/app.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/http/log.h"
#include "server/limits.h"
#include "storage/halts.h"

namespace vigil {
namespace {

// One stream's life: first frame, then a persisted or announced halt, keepalives meanwhile, and an
// end on halt, shutdown, disconnect or the lifetime bound.
struct StreamState {
  std::shared_ptr<HaltRegistry::Subscriber> sub;
  std::string execution_id;
  std::optional<std::string> persisted;  // a halt stored before the stream opened
  bool sent_first = false;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::seconds keepalive;
};

std::string HaltFrame(const std::string& reason) {
  std::string data = "{\"reason\":";
  AppendJsonString(&data, reason);
  return "event: halt\ndata: " + data + "}\n\n";
}

}  // namespace

void HandleHalt(App& app, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  auto reason = ParseOptionalStringField(ctx.body, "reason");
  if (!reason.ok()) return SendError(ctx, reason.status());
  if (reason->size() > limits::kMaxReasonBytes) {
    return SendError(ctx,
                     Status::InvalidArgument("reason longer than " +
                                             std::to_string(limits::kMaxReasonBytes) + " bytes"));
  }
  if (reason->empty()) reason.value() = "halt requested via API";
  auto out = app.RequestHalt(ctx.auth.project, id, reason.value(), ctx.now_ms,
                             ActionEntry(ctx, "halt.request", 200));
  if (!out.ok()) return SendError(ctx, out.status());
  if (!out->exists) return SendError(ctx, Status::NotFound("execution not found"));
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("notified", out->notified)
      .Field("pending", out->pending)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleHaltStream(App& app, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  // Registered before the persisted state is read: a halt committed in between is either read
  // here or announced to this subscriber (the frame is sent once either way).
  auto sub = app.halts().Subscribe(ctx.auth.project, id);
  if (!sub.ok()) {
    ctx.res->set_header("Retry-After", "5");
    return SendError(ctx, sub.status());
  }
  auto state = std::make_shared<StreamState>();
  state->sub = sub.value();
  state->execution_id = id;
  state->deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  state->keepalive = std::chrono::seconds(app.config().sse_keepalive_s);
  HaltState persisted;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::GetHaltState(txn, ctx.auth.project, id);
    if (!r.ok()) return r.status();
    persisted = r.value();
    return Status::Ok();
  });
  if (!s.ok()) {
    app.halts().Unsubscribe(ctx.auth.project, id, state->sub);
    return SendError(ctx, s);
  }
  if (persisted.exists && !persisted.terminal && !persisted.halt_reason.empty()) {
    state->persisted = persisted.halt_reason;
  }
  // This connection stays open for up to an hour: give its worker back to the pool.
  DetachWorkerForStream();
  auto& res = *ctx.res;
  res.status = 200;
  res.set_header("Cache-Control", "no-cache, no-transform");
  res.set_header("Connection", "keep-alive");
  res.set_header("X-Accel-Buffering", "no");
  HaltRegistry* registry = &app.halts();
  const int64_t project = ctx.auth.project;
  res.set_chunked_content_provider(
      "text/event-stream",
      [state](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& frame) {
          return sink.write(frame.data(), frame.size());
        };
        if (!state->sent_first) {
          state->sent_first = true;
          if (!write(": subscribed execution=" + state->execution_id + "\n\n")) return false;
          if (state->persisted) {
            write(HaltFrame(*state->persisted));
            sink.done();
          }
          return true;
        }
        std::unique_lock<std::mutex> lock(state->sub->mu);
        const auto until =
            std::min(state->deadline, std::chrono::steady_clock::now() + state->keepalive);
        state->sub->cv.wait_until(lock, until,
                                  [&] { return state->sub->reason || state->sub->closed; });
        if (state->sub->reason) {
          const std::string frame = HaltFrame(*state->sub->reason);
          lock.unlock();
          write(frame);
          sink.done();
          return true;
        }
        if (state->sub->closed || std::chrono::steady_clock::now() >= state->deadline) {
          lock.unlock();
          sink.done();  // shutdown or lifetime bound: no final frame
          return true;
        }
        lock.unlock();
        return write(": keepalive\n\n");
      },
      [registry, project, state](bool) {
        registry->Unsubscribe(project, state->execution_id, state->sub);
      });
}

}  // namespace vigil
