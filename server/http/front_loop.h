// The front's internals (server/http/front.h): the per-connection state and the event loop.
// Only the front's own files include this.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/http/front.h"
#include "server/http/request.h"
#include "server/http/request_assembler.h"
#include "server/http/transport.h"
#include "server/http/worker_pool.h"

namespace vigil {

class Pipeline;

// One request, from its parsed head until its response is written: the front owns it.
struct Exchange {
  Exchange() {
    ctx.req = &req;
    ctx.res = &res;
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  httplib::Request req;
  httplib::Response res;
  RequestContext ctx;
  bool head_checked = false;  // the pipeline's head steps passed (on the loop)
  bool keep_alive = true;     // the client allows another request on the connection
  bool http10 = false;
};

enum class ConnState {
  kHandshake,  // TLS handshake (deadline: the head timeout from accept)
  kIdle,       // between requests (deadline: the keep-alive timeout)
  kHead,       // a head has started (deadline: the head timeout from its first byte)
  kBody,       // reading an accepted body (deadlines: rate and total)
  kWriting,    // the loop writes a short answer (100 Continue, a refusal)
  kLinger,     // the response was sent; unread bytes are discarded until the close
};

// What follows a write by the loop.
enum class AfterWrite { kReadBody, kLinger };

// What a worker says when it gives a connection back.
enum class Disposition {
  kKeepAlive,  // read the next request
  kClose,      // close once what the client still sends is drained
  kGone,       // the client went or the response was cut short: close now
};

// The loop's clock (monotonic milliseconds, a few ms resolution).
int64_t FrontNowMs();

struct Conn {
  Conn(std::unique_ptr<Transport> transport, const WireLimits& limits, uint64_t max_body)
      : io(std::move(transport)), reader(limits, max_body) {}
  std::unique_ptr<Transport> io;
  RequestAssembler reader;
  ConnState state = ConnState::kIdle;
  int64_t deadline_ms = 0;
  int64_t body_started_ms = 0;
  size_t served = 0;
  std::string remote_addr;
  int remote_port = 0;
  std::unique_ptr<Exchange> exchange;  // the request being read or served
  std::string out;                     // kWriting: what is left to send
  AfterWrite after = AfterWrite::kLinger;
  uint64_t budget = 0;  // body bytes this connection holds of the shared budget
  size_t lingered = 0;  // bytes discarded while lingering
};

class FrontLoop {
 public:
  FrontLoop(FrontOptions options, Pipeline* pipeline);
  ~FrontLoop();
  Status Start();
  void Stop();
  int port() const { return port_; }

  static std::atomic<int64_t> requests_timed_out, heads_too_large;

 private:
  // front.cc: the loop, accept, deadlines, connections coming back from workers.
  void Run();
  void Accept();
  void PauseAccept(bool pause);
  void Sweep(int64_t now);
  void CollectReturns();
  void Return(std::unique_ptr<Conn> conn, Disposition d);
  void Resume(Conn& c);
  void Close(int fd);
  // Registers `fd` with the loop's epoll for reading; false when epoll refuses it.
  bool Register(int fd);
  void Watch(Conn& c, bool write);
  void ReleaseBudget(Conn& c);
  bool TakeBudget(Conn& c, uint64_t total);

  // front_conn.cc: reading and answering one connection on the loop. Each returns false when the
  // connection has left the loop (closed or handed to a worker).
  bool OnEvent(Conn& c);
  bool OnReadable(Conn& c);
  bool Process(Conn& c);
  bool OnHead(Conn& c);
  bool OnBodyProgress(Conn& c);
  bool Dispatch(Conn& c);
  bool Answer(Conn& c, AfterWrite after);
  bool RefuseConnection(Conn& c, int http_status, const std::string& message);
  bool StartWrite(Conn& c, std::string bytes, AfterWrite after);
  bool FlushOut(Conn& c);
  bool StartLinger(Conn& c);
  bool Linger(Conn& c);

  // front_worker.cc: a worker serving one complete request.
  void Serve(std::unique_ptr<Conn> conn);

  FrontOptions options_;
  Pipeline* pipeline_;
  WireLimits wire_;
  std::unique_ptr<TlsContext> tls_;
  std::unique_ptr<WorkerPool> pool_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  bool accept_paused_ = false;  // the loop thread's: out of descriptors until the next sweep
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;  // the loop's own (loop thread only)
  std::atomic<size_t> open_{0};                           // the loop's and the workers'
  std::atomic<uint64_t> budget_used_{0};
  std::mutex returns_mu_;
  std::vector<std::pair<std::unique_ptr<Conn>, Disposition>> returns_;
  bool loop_ended_ = false;  // guarded by returns_mu_
};

}  // namespace vigil
