#include "server/halt/handlers.h"

#include <chrono>

#include "domain/time_util.h"
#include "server/accounts/auth.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/halt/halt.h"
#include "server/halt/service.h"
#include "server/http/front.h"
#include "server/http/log.h"
#include "server/http/peer_watch.h"
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
  bool client_gone = false;     // the client closed the connection (guarded by sub->mu)
  std::shared_ptr<void> watch;  // watching the connection for that; dropped before it is closed
  Authenticator* auth = nullptr;
  std::string authorization;  // the request's Authorization header, checked again while open
};

// Whether the stream's key still authenticates an unsuspended project: checked on every
// keepalive and whenever a key or project changed, so a revoked key, a suspended or a deleted
// project ends the stream. Storage trouble is no answer either way, so it keeps the stream.
bool StillAuthorized(StreamState& state) {
  auto rec = state.auth->Authenticate(state.authorization, NowMs());
  if (rec.ok()) return !rec->suspended;
  return rec.status().code() != Code::kUnauthenticated;
}

// The answer to a halt for an id the project has no execution (and no open stream) for: the
// creation may be in flight, so it says to retry; another project's id gets the same words.
const char kHaltNotYetKnown[] =
    "execution not found: if it was just started, its creation may still be on its way; retry";

std::string HaltFrame(const std::string& reason) {
  std::string data = "{\"reason\":";
  AppendJsonString(&data, reason);
  return "event: halt\ndata: " + data + "}\n\n";
}

// Asks `peers` to wake the stream as soon as its client closes the connection, so a departed
// client frees its thread, descriptor and slot at once rather than at the next keepalive.
void WatchClient(PeerWatch& peers, int fd, const std::shared_ptr<StreamState>& state) {
  std::weak_ptr<StreamState> weak = state;
  state->watch = peers.Watch(fd, [weak] {
    auto s = weak.lock();
    if (!s) return;
    std::lock_guard<std::mutex> lock(s->sub->mu);
    s->client_gone = true;
    s->sub->cv.notify_all();
  });
}

// Writes what the stream owes its client next; false ends the stream (the client has gone).
// Called by the connection's writer until the stream is done: the first call sends the subscribed
// comment and a halt persisted before the stream opened, later ones wait for a halt, a shutdown or
// the next keepalive.
bool WriteNextFrame(StreamState& state, ChunkSink& sink) {
  auto write = [&](const std::string& frame) { return sink.Write(frame); };
  if (!state.sent_first) {
    state.sent_first = true;
    if (!write(": subscribed execution=" + state.execution_id + "\n\n")) return false;
    if (state.persisted) {
      write(HaltFrame(*state.persisted));
      sink.Done();
    }
    return true;
  }
  std::unique_lock<std::mutex> lock(state.sub->mu);
  const auto until = std::min(state.deadline, std::chrono::steady_clock::now() + state.keepalive);
  state.sub->cv.wait_until(lock, until, [&] {
    return state.sub->reason || state.sub->closed || state.client_gone || state.sub->recheck;
  });
  if (state.client_gone) return false;  // nobody to write to: the stream ends at once
  if (state.sub->reason) {
    const std::string frame = HaltFrame(*state.sub->reason);
    lock.unlock();
    write(frame);
    sink.Done();
    return true;
  }
  if (state.sub->closed || std::chrono::steady_clock::now() >= state.deadline) {
    lock.unlock();
    sink.Done();  // shutdown or lifetime bound: no final frame
    return true;
  }
  const bool recheck_only = state.sub->recheck;
  state.sub->recheck = false;
  lock.unlock();
  if (!StillAuthorized(state)) {
    sink.Done();  // the key was revoked or the project suspended or deleted: no final frame
    return true;
  }
  return recheck_only || write(": keepalive\n\n");
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
  if (!out->exists && out->notified == 0) {
    // Most often an execution whose creation is still queued in its SDK: a retry soon finds it.
    ctx.res->set_header("Retry-After", std::to_string(limits::kHaltUnknownRetryAfterSec));
    return SendError(ctx, Status::NotFound(kHaltNotYetKnown));
  }
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
  state->auth = &auth_;
  state->authorization = ctx.req->get_header_value("Authorization");
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
  WatchClient(peers_, ctx.connection_fd, state);
  HaltRegistry* registry = &streams_;
  const int64_t project = ctx.auth.project;
  ctx.stream.content_type = "text/event-stream";
  ctx.stream.next = [state](ChunkSink& sink) { return WriteNextFrame(*state, sink); };
  ctx.stream.on_end = [registry, project, state] {
    state->watch.reset();  // runs before the connection is closed
    registry->Unsubscribe(project, state->execution_id, state->sub);
  };
}

}  // namespace vigil
