#include "server/http/front.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "server/http/front_loop.h"
#include "server/http/pipeline.h"
#include "server/limits.h"

namespace vigil {
namespace {

// The address and port of a socket address, as text and number.
void AddressOf(const sockaddr_storage& a, std::string* ip, int* port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    *port = ntohs(in6.sin6_port);
  } else {
    const auto& in4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &in4.sin_addr, text, sizeof(text));
    *port = ntohs(in4.sin_port);
  }
  *ip = text;
}

// A listening socket on `bind`:`port` (port 0: any free one); -1 on failure.
int Listen(const std::string& bind, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(bind.empty() ? nullptr : bind.c_str(), service.c_str(), &hints, &found) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, limits::kListenBacklog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

}  // namespace

int64_t FrontNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::atomic<int64_t> FrontLoop::requests_timed_out{0};
std::atomic<int64_t> FrontLoop::heads_too_large{0};

ConnectionCounters GetConnectionCounters() {
  return {FrontLoop::requests_timed_out.load(), FrontLoop::heads_too_large.load()};
}

void DetachWorkerForStream() { WorkerPool::DetachCurrentWorker(); }

HttpFront::HttpFront(FrontOptions options, Pipeline* pipeline)
    : loop_(std::make_unique<FrontLoop>(std::move(options), pipeline)) {}
HttpFront::~HttpFront() { Stop(); }
Status HttpFront::Start() { return loop_->Start(); }
int HttpFront::port() const { return loop_->port(); }
void HttpFront::Stop() { loop_->Stop(); }

FrontLoop::FrontLoop(FrontOptions options, Pipeline* pipeline)
    : options_(std::move(options)), pipeline_(pipeline) {
  wire_.max_head_bytes = limits::kMaxRequestHeadBytes;
  wire_.max_target_bytes = limits::kMaxRequestTargetBytes;
  wire_.max_header_fields = limits::kMaxHeaderFields;
}

FrontLoop::~FrontLoop() { Stop(); }

Status FrontLoop::Start() {
  if (!options_.tls_cert.empty()) {
    auto tls = TlsContext::Load(options_.tls_cert, options_.tls_key);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(tls.value());
  }
  listen_fd_ = Listen(options_.bind, options_.port);
  if (listen_fd_ < 0) {
    return Status::Unavailable("cannot listen on " + options_.bind + ":" +
                               std::to_string(options_.port));
  }
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&local), &len);
  std::string ip;
  AddressOf(local, &ip, &port_);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Status::Unavailable("cannot create the event loop");
  for (int fd : {listen_fd_, wake_fd_}) Register(fd);
  pool_ = std::make_unique<WorkerPool>(options_.threads, options_.max_pending);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void FrontLoop::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(returns_mu_);
    loop_ended_ = true;  // connections given back from now on are closed by their worker
    returns_.clear();
  }
  // Queued requests are still answered (503 while draining); streams end with the halts.
  if (pool_) pool_->Stop();
  for (int* fd : {&listen_fd_, &epoll_fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void FrontLoop::Run() {
  pthread_setname_np(pthread_self(), "vigil-front");
  std::vector<epoll_event> events(256);
  int64_t next_sweep = FrontNowMs() + 100;
  while (!stopping_.load()) {
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        Accept();
      } else if (fd == wake_fd_) {
        uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof(count));
        CollectReturns();
      } else if (auto it = conns_.find(fd); it != conns_.end()) {
        OnEvent(*it->second);
      }
    }
    const int64_t now = FrontNowMs();
    if (now >= next_sweep) {
      Sweep(now);
      next_sweep = now + 100;
    }
  }
  // Stopping: connections idle or still sending a request are closed; those with a worker come
  // back to a loop that has ended and are closed there.
  std::vector<int> fds;
  for (const auto& [fd, c] : conns_) fds.push_back(fd);
  for (int fd : fds) Close(fd);
  CollectReturns();
}

void FrontLoop::Accept() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: the pending connection stays in the backlog, and the
        // level-triggered listener would wake the loop again at once. It rests until the next
        // sweep instead.
        PauseAccept(true);
      }
      return;
    }
    if (open_.load() >= options_.max_connections) {
      ::close(fd);
      continue;
    }
    // Nagle's algorithm delays small responses by up to 40 ms on keep-alive connections.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::unique_ptr<Transport> io = tls_ ? tls_->Wrap(fd) : std::make_unique<Transport>(fd);
    if (!io) {
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Conn>(std::move(io), wire_, options_.max_body_bytes);
    AddressOf(peer, &c->remote_addr, &c->remote_port);
    const int64_t now = FrontNowMs();
    c->state = tls_ ? ConnState::kHandshake : ConnState::kIdle;
    c->deadline_ms = now + (tls_ ? limits::kRequestHeadTimeoutSec : limits::kKeepAliveTimeoutSec) *
                               int64_t{1000};
    if (!Register(fd)) continue;  // `c` closes it
    open_.fetch_add(1);
    conns_[fd] = std::move(c);
  }
}

void FrontLoop::PauseAccept(bool pause) {
  if (accept_paused_ == pause) return;
  accept_paused_ = pause;
  epoll_event ev{};
  ev.events = pause ? 0u : static_cast<uint32_t>(EPOLLIN);
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

void FrontLoop::Sweep(int64_t now) {
  PauseAccept(false);
  std::vector<int> due;
  for (const auto& [fd, c] : conns_) {
    bool late = now >= c->deadline_ms;
    if (c->state == ConnState::kBody) {
      const int64_t elapsed = now - c->body_started_ms;
      const uint64_t want = static_cast<uint64_t>(elapsed) * limits::kMinBodyBytesPerSec / 1000;
      late = elapsed >= limits::kRequestBodyTimeoutSec * int64_t{1000} ||
             (elapsed >= limits::kBodyRateGraceSec * int64_t{1000} &&
              c->reader.body_received() < want);
    }
    if (late) due.push_back(fd);
  }
  for (int fd : due) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) continue;
    Conn& c = *it->second;
    if (c.state == ConnState::kHead || c.state == ConnState::kBody) {
      requests_timed_out.fetch_add(1);
      RefuseConnection(c, 408,
                       c.state == ConnState::kHead ? "request head not received in time"
                                                   : "request body not received in time");
    } else {
      Close(fd);  // idle past keep-alive, a handshake, a stalled write, a linger that ran out
    }
  }
}

void FrontLoop::Return(std::unique_ptr<Conn> conn, Disposition d) {
  std::lock_guard<std::mutex> lock(returns_mu_);
  if (loop_ended_) {
    open_.fetch_sub(1);
    return;  // `conn` closes its socket
  }
  returns_.emplace_back(std::move(conn), d);
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void FrontLoop::CollectReturns() {
  std::vector<std::pair<std::unique_ptr<Conn>, Disposition>> back;
  {
    std::lock_guard<std::mutex> lock(returns_mu_);
    back.swap(returns_);
  }
  for (auto& [conn, d] : back) {
    const int fd = conn->io->fd();
    Conn& c = *conn;
    conns_[fd] = std::move(conn);
    if (stopping_.load() || d == Disposition::kGone || !Register(fd)) {
      Close(fd);
      continue;
    }
    if (d == Disposition::kClose) {
      // Bytes the client sent after this request, read here or still in the socket, would turn
      // the close into a reset that can destroy the unsent part of the response: the close goes
      // in stages (RFC 9112 section 9.6), a half-close, then what arrives is discarded.
      StartLinger(c);
      continue;
    }
    Resume(c);
  }
}

void FrontLoop::Resume(Conn& c) {
  const int64_t now = FrontNowMs();
  const bool started = c.reader.buffered() > 0;
  c.state = started ? ConnState::kHead : ConnState::kIdle;
  c.deadline_ms = now + (started ? limits::kRequestHeadTimeoutSec : limits::kKeepAliveTimeoutSec) *
                            int64_t{1000};
  // The next request may be buffered already (pipelining), here or inside TLS.
  if (!Process(c)) return;
  if (c.state == ConnState::kIdle || c.state == ConnState::kHead || c.state == ConnState::kBody) {
    OnReadable(c);
  }
}

void FrontLoop::Close(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  Conn& c = *it->second;
  if (c.exchange) pipeline_->Abandon(c.exchange->ctx);
  ReleaseBudget(c);
  conns_.erase(it);  // the transport closes the socket
  open_.fetch_sub(1);
}

bool FrontLoop::Register(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void FrontLoop::Watch(Conn& c, bool write) {
  epoll_event ev{};
  ev.events = write ? EPOLLOUT : EPOLLIN;
  ev.data.fd = c.io->fd();
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.io->fd(), &ev);
}

bool FrontLoop::TakeBudget(Conn& c, uint64_t total) {
  if (total <= c.budget) return true;
  const uint64_t add = total - c.budget;
  uint64_t used = budget_used_.load();
  do {
    if (used + add > options_.body_budget_bytes) return false;
  } while (!budget_used_.compare_exchange_weak(used, used + add));
  c.budget = total;
  return true;
}

void FrontLoop::ReleaseBudget(Conn& c) {
  budget_used_.fetch_sub(c.budget);
  c.budget = 0;
}

}  // namespace vigil
