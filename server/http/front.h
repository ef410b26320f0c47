// Vigil's HTTP front: the listener, one event loop that reads every connection while it is idle
// or sending a request, and the worker pool that runs complete requests
// (docs/design.md#http-front).
//
// No worker is held by a client that has not sent its whole request: the loop reads heads and
// bodies under deadlines (the head from its first byte; the body at a minimum rate and within a
// total bound), runs the pipeline's head checks before it accepts a body (`100 Continue` only
// after them), and hands the request to a worker only once it is whole. The worker runs the
// handler, writes the response, and gives the connection back to the loop, which reads the next
// request (pipelined ones in order). Framing is strict (server/http/wire.h): what a peer could
// read differently is refused and the connection closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "domain/status.h"

namespace vigil {

class Pipeline;
class FrontLoop;

struct FrontOptions {
  std::string bind = "0.0.0.0";
  int port = 0;  // 0 picks a free port
  size_t threads = 64;
  size_t max_pending = 1024;       // complete requests queued for a worker
  size_t max_connections = 10000;  // open connections
  uint64_t max_body_bytes = 0;
  uint64_t body_budget_bytes = 0;  // body bytes buffered across all connections
  std::string tls_cert;            // set (with tls_key): the front terminates TLS itself
  std::string tls_key;
  // Headers every response carries unless it sets its own (nosniff, HSTS).
  std::vector<std::pair<std::string, std::string>> default_headers;
  // The host requests are for (the dashboard URL's), "" = any: an absolute-form target naming
  // another authority is answered 421.
  std::string host;
};

// Connections the front has cut since start.
struct ConnectionCounters {
  int64_t requests_timed_out = 0;  // 408: a head or a body not received in time
  int64_t heads_too_large = 0;     // 431
};
ConnectionCounters GetConnectionCounters();

// Called by a handler that is about to hold its worker a long time (halt streams, webhook tests):
// the pool starts a replacement, and this thread ends when its response is written.
void DetachWorkerForStream();

class HttpFront {
 public:
  HttpFront(FrontOptions options, Pipeline* pipeline);
  ~HttpFront();  // Stop()

  // Binds the listener and starts the loop and the workers.
  Status Start();
  int port() const;
  // Stops accepting, closes idle connections and those still sending a request, lets the workers
  // finish what they hold, and joins them. Idempotent.
  void Stop();

 private:
  std::unique_ptr<FrontLoop> loop_;
};

}  // namespace vigil
