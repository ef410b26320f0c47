// Connection handling under httplib: the bounded worker pool, and for plain HTTP a server whose
// workers only ever read requests that have already arrived.
//
// httplib gives each connection a worker thread for as long as it is open, and its read timeout
// applies to each read separately. A client that dribbles its headers a byte a second, or that
// simply opens connections and waits, would hold a worker indefinitely; a few dozen such clients
// take every worker (slowloris). Here a worker takes a connection only once the request head
// (request line and headers) and the start of its body are waiting in the socket buffer. Until
// then the connection waits in one "waiting room" thread (epoll) that costs no worker and cuts it
// when the head has not arrived within limits::kRequestHeadTimeoutSec (408) or, between requests,
// when it stays idle past limits::kKeepAliveTimeoutSec. Once a worker has the request, the rest of
// the body must arrive within limits::kRequestBodyTimeoutSec. An idle keep-alive connection also
// waits in the room, so workers serve requests, not connections.
//
// With native TLS (SSLServer) the bytes on the socket are encrypted, so the head cannot be seen
// before the handshake; that path keeps httplib's per-read timeouts only (docs/operations.md#tls).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil {

// What the bytes waiting on a connection (peeked, not consumed) say about its next request.
enum class HeadState {
  kIncomplete,  // wait for more bytes
  kReady,       // the head is complete, and the first min(Content-Length, body_gate_bytes) bytes
                // of the body are there (no body gate with chunked framing, `Expect:`, or a
                // Content-Length above max_body_bytes, which is refused from the head alone)
  kTooLarge,    // no end of head within max_head_bytes: answered 431
};
// Pure and total: any bytes in, one state out.
HeadState ClassifyRequestHead(std::string_view peeked, size_t max_head_bytes,
                              size_t body_gate_bytes, uint64_t max_body_bytes);

// The task queue httplib hands accepted connections to: `threads` workers and a backlog of at
// most `max_pending` connections; past it a small reject pool answers 503 at once (IsRejectWorker),
// and past that the accept thread itself does. It also owns the waiting room described above.
httplib::TaskQueue* NewWorkerPool(size_t threads, size_t max_pending);

// True on threads that answer connections the worker pool had no room for.
bool IsRejectWorker();

// The socket of the request served on this thread, -1 when unknown (TLS).
int CurrentConnectionSocket();
// True when a read of this thread's current request failed because the request took longer than
// limits::kRequestBodyTimeoutSec (the pipeline answers 408).
bool RequestDeadlinePassed();

// Connections the waiting room has cut since start: heads not complete in time (408) and heads
// larger than limits::kMaxRequestHeadBytes (431).
struct ConnectionCounters {
  int64_t heads_timed_out = 0;
  int64_t heads_too_large = 0;
};
ConnectionCounters GetConnectionCounters();

// Called by a handler that is about to hold its connection open for a long time (halt streams):
// the worker pool starts a replacement so ingestion keeps its full set of workers.
void DetachWorkerForStream();

// Plain HTTP with the waiting room. REQUIRES: new_task_queue returns NewWorkerPool(...); the
// post-routing handler is taken (it records whether a response closes its connection).
class GatedHttpServer : public httplib::Server {
 public:
  GatedHttpServer();
  // Serves requests on `fd` while they arrive promptly; parks the connection in the waiting
  // room otherwise; closes it when it ends. `served` = requests already served on it.
  void ServeConnection(int fd, size_t served);
  uint64_t max_body_bytes() const { return payload_max_length_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  void Close(int fd);
};

}  // namespace vigil
