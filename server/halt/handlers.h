// The halt routes (docs/api.md#halt): POST /executions/{id}/halt asks for a halt, and
// GET /executions/{id}/halt-stream is the server-sent-events stream an SDK listens on.
#pragma once

#include <chrono>

#include "server/http/request.h"

namespace vigil {

class Authenticator;
class HaltRegistry;
class HaltService;
class PeerWatch;
class Store;

class HaltHandlers {
 public:
  // Every reference must outlive the handlers (a stream outlives its handler call).
  HaltHandlers(HaltService& service, HaltRegistry& streams, Store& store, PeerWatch& peers,
               Authenticator& auth, std::chrono::seconds keepalive)
      : service_(service),
        streams_(streams),
        store_(store),
        peers_(peers),
        auth_(auth),
        keepalive_(keepalive) {}

  void Halt(RequestContext& ctx);
  void Stream(RequestContext& ctx);

 private:
  HaltService& service_;
  HaltRegistry& streams_;
  Store& store_;
  PeerWatch& peers_;                // ends a stream as soon as its client closes the connection
  Authenticator& auth_;             // a stream ends when its key no longer authenticates
  std::chrono::seconds keepalive_;  // between keepalive comments on an idle stream
};

}  // namespace vigil
