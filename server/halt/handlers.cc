#include "server/halt/handlers.h"

#include <chrono>

#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/halt/halt.h"
#include "server/halt/service.h"
#include "server/http/connection.h"
#include "server/http/log.h"
#include "server/http/server.h"
#include "server/limits.h"
#include "storage/halts.h"
#include "storage/store.h"

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
  int fd = -1;  // the connection's socket, watched for the client closing it; -1 when unknown
};

std::string HaltFrame(const std::string& reason) {
  std::string data = "{\"reason\":";
  AppendJsonString(&data, reason);
  return "event: halt\ndata: " + data + "}\n\n";
}

// Waits, holding `lock` on the subscriber, until a halt or a shutdown is announced or `until`
// passes; false as soon as the client has closed the connection (checked every
// limits::kHaltStreamPeerCheckMs), so a departed client frees its slot without waiting for a write
// to fail.
bool AwaitAnnouncement(StreamState& state, std::unique_lock<std::mutex>& lock,
                       std::chrono::steady_clock::time_point until) {
  const auto check = std::chrono::milliseconds(limits::kHaltStreamPeerCheckMs);
  for (;;) {
    const auto slice = std::min(until, std::chrono::steady_clock::now() + check);
    if (state.sub->cv.wait_until(lock, slice,
                                 [&] { return state.sub->reason || state.sub->closed; })) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= until) return true;
    if (PeerClosed(state.fd)) return false;
  }
}

// Writes what the stream owes its client next; false ends the stream (the client has gone).
// Called by the connection's writer until the stream is done: the first call sends the subscribed
// comment and a halt persisted before the stream opened, later ones wait for a halt, a shutdown or
// the next keepalive.
bool WriteNextFrame(StreamState& state, httplib::DataSink& sink) {
  auto write = [&](const std::string& frame) { return sink.write(frame.data(), frame.size()); };
  if (!state.sent_first) {
    state.sent_first = true;
    if (!write(": subscribed execution=" + state.execution_id + "\n\n")) return false;
    if (state.persisted) {
      write(HaltFrame(*state.persisted));
      sink.done();
    }
    return true;
  }
  std::unique_lock<std::mutex> lock(state.sub->mu);
  const auto until = std::min(state.deadline, std::chrono::steady_clock::now() + state.keepalive);
  if (!AwaitAnnouncement(state, lock, until)) return false;  // the client has gone
  if (state.sub->reason) {
    const std::string frame = HaltFrame(*state.sub->reason);
    lock.unlock();
    write(frame);
    sink.done();
    return true;
  }
  if (state.sub->closed || std::chrono::steady_clock::now() >= state.deadline) {
    lock.unlock();
    sink.done();  // shutdown or lifetime bound: no final frame
    return true;
  }
  lock.unlock();
  return write(": keepalive\n\n");
}

}  // namespace

void HaltHandlers::Halt(RequestContext& ctx) {
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
  auto out = service_.Request(ctx.auth.project, id, reason.value(), ctx.now_ms,
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

void HaltHandlers::Stream(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("execution not found"));
  }
  // Registered before the persisted state is read: a halt committed in between is either read
  // here or announced to this subscriber (the frame is sent once either way).
  auto sub = streams_.Subscribe(ctx.auth.project, id);
  if (!sub.ok()) {
    ctx.res->set_header("Retry-After", std::to_string(limits::kHaltStreamRetryAfterSec));
    return SendError(ctx, sub.status());
  }
  auto state = std::make_shared<StreamState>();
  state->sub = sub.value();
  state->execution_id = id;
  state->deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  state->keepalive = keepalive_;
  // Known on plain HTTP; with native TLS the socket is found from the connection's ports.
  state->fd = CurrentConnectionSocket();
  if (state->fd < 0) state->fd = FindConnectionSocket(ctx.req->local_port, ctx.req->remote_port);
  auto persisted = store_.ReadValue(
      [&](ReadTxn& txn) { return storage::GetHaltState(txn, ctx.auth.project, id); });
  if (!persisted.ok()) {
    streams_.Unsubscribe(ctx.auth.project, id, state->sub);
    return SendError(ctx, persisted.status());
  }
  if (persisted->exists && !persisted->terminal && !persisted->halt_reason.empty()) {
    state->persisted = persisted->halt_reason;
  }
  // This connection stays open for up to an hour: give its worker back to the pool.
  DetachWorkerForStream();
  auto& res = *ctx.res;
  res.status = 200;
  res.set_header("Cache-Control", "no-cache, no-transform");
  res.set_header("Connection", "keep-alive");
  res.set_header("X-Accel-Buffering", "no");
  HaltRegistry* registry = &streams_;
  const int64_t project = ctx.auth.project;
  res.set_chunked_content_provider(
      "text/event-stream",
      [state](size_t, httplib::DataSink& sink) { return WriteNextFrame(*state, sink); },
      [registry, project, state](bool) {
        registry->Unsubscribe(project, state->execution_id, state->sub);
      });
}

}  // namespace vigil
