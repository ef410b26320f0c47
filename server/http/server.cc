#include "server/http/server.h"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/http/request.h"
#include "server/limits.h"

static_assert(CPPHTTPLIB_LISTEN_BACKLOG == vigil::limits::kListenBacklog,
              "CMakeLists.txt sets httplib's listen backlog to limits::kListenBacklog");

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;

// Set on the threads that answer connections the worker pool had no room for.
thread_local bool t_reject_connection = false;
// The connection being served on this thread, and what its current response decided.
thread_local int t_socket = -1;
thread_local bool t_response_closes = false;
// Set when a read of the current request failed because its deadline had passed.
thread_local bool t_deadline_passed = false;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A coarse monotonic clock (a few ms resolution, a few ns per call): read on every stream read.
int64_t CoarseNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The stream a worker reads one request from: reads fail once the request's deadline has passed,
// however slowly the bytes keep coming (httplib's own timeout applies to each read alone).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(httplib::Stream& inner, int64_t deadline_ms)
      : inner_(inner), deadline_ms_(deadline_ms) {}
  bool is_readable() const override { return !Expired() && inner_.is_readable(); }
  bool is_writable() const override { return inner_.is_writable(); }
  ssize_t read(char* ptr, size_t size) override {
    if (Expired()) return -1;
    return inner_.read(ptr, size);
  }
  ssize_t write(const char* ptr, size_t size) override { return inner_.write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    inner_.get_remote_ip_and_port(ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    inner_.get_local_ip_and_port(ip, port);
  }
  socket_t socket() const override { return inner_.socket(); }

 private:
  bool Expired() const {
    if (CoarseNowMs() < deadline_ms_) return false;
    t_deadline_passed = true;
    return true;
  }
  httplib::Stream& inner_;
  int64_t deadline_ms_;
};

// Writes a short final response and closes: FIN after the bytes, then the close, so the client
// reads the status instead of a reset.
void AnswerAndClose(int fd, const Status& status, const char* reason) {
  const ErrorResponse e = MapError(status);
  std::string msg = "HTTP/1.1 " + std::to_string(e.http_status) + " " + reason +
                    "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    "X-Content-Type-Options: nosniff\r\nContent-Length: " +
                    std::to_string(e.body.size()) + "\r\n";
  for (const auto& [name, value] : e.headers) msg += name + ": " + value + "\r\n";
  msg += "\r\n" + e.body;
  (void)::send(fd, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
}

class WaitingRoom;

// A worker pool with a bounded backlog. httplib's own pool queues without limit; here a connection
// that finds the backlog full is handed to a small reject pool that answers 503 at once, so
// overload turns into fast, explicit refusals instead of unbounded memory and latency.
//
// A worker about to hold its connection for a long time (a halt stream) detaches itself: a
// replacement starts at once, so long-lived streams never eat the workers that serve ingestion,
// and the detached thread ends with its connection. Streams are bounded by the halt registry.
class WorkerPool : public httplib::TaskQueue {
 public:
  WorkerPool(size_t threads, size_t max_pending);
  ~WorkerPool() override;
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.size() < max_pending_) {
        jobs_.push_back(std::move(fn));
        backlog_.store(jobs_.size(), std::memory_order_relaxed);
        cv_.notify_one();
        return;
      }
      if (rejects_.size() < max_pending_) {
        rejects_.push_back(std::move(fn));
        reject_cv_.notify_one();
        return;
      }
    }
    // Both backlogs full: answer from the calling thread (a fast 503 write, then close).
    const bool was = t_reject_connection;
    t_reject_connection = true;
    fn();
    t_reject_connection = was;
  }
  void shutdown() override;
  // Connections accepted and waiting for a worker.
  bool HasBacklog() const { return backlog_.load(std::memory_order_relaxed) > 0; }
  // Takes `fd` until its next request is ready, then queues it for a worker of this pool.
  void Park(int fd, size_t served, std::optional<int64_t> head_started_ms, GatedHttpServer* server);
  static WorkerPool* Current() { return t_pool; }
  static void DetachCurrentWorker() {
    if (t_pool == nullptr || t_detached) return;
    t_detached = true;
    t_pool->StartThread(false);
  }
  static bool CurrentDetached() { return t_detached; }

 private:
  static constexpr size_t kRejectThreads = 2;
  static thread_local WorkerPool* t_pool;
  static thread_local bool t_detached;

  void StartThread(bool reject) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++live_threads_;
    }
    std::thread([this, reject] { Work(reject); }).detach();
  }
  void Work(bool reject) {
    t_pool = this;
    t_reject_connection = reject;
    auto& queue = reject ? rejects_ : jobs_;
    auto& cv = reject ? reject_cv_ : cv_;
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv.wait(lock, [&] { return stop_ || !queue.empty(); });
        if (queue.empty()) break;
        fn = std::move(queue.front());
        queue.pop_front();
        if (!reject) backlog_.store(jobs_.size(), std::memory_order_relaxed);
      }
      fn();
      if (t_detached) break;  // a replacement took this worker's place
    }
    std::lock_guard<std::mutex> lock(mu_);
    --live_threads_;
    exited_cv_.notify_all();
  }
  size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_, reject_cv_, exited_cv_;
  std::deque<std::function<void()>> jobs_, rejects_;
  std::atomic<size_t> backlog_{0};
  size_t live_threads_ = 0;
  bool stop_ = false;
  std::unique_ptr<WaitingRoom> room_;
};
thread_local WorkerPool* WorkerPool::t_pool = nullptr;
thread_local bool WorkerPool::t_detached = false;

// Connections whose next request has not arrived yet, watched by one thread with epoll
// (edge-triggered: woken by each new arrival of bytes, not by bytes already seen). A connection
// leaves when its request is ready (queued for a worker), when it closes, or at its deadline.
class WaitingRoom {
 public:
  explicit WaitingRoom(WorkerPool* pool) : pool_(pool), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~WaitingRoom() { Stop(); }

  void Park(int fd, size_t served, std::optional<int64_t> head_started_ms,
            GatedHttpServer* server) {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_ || entries_.size() >= limits::kMaxWaitingConnections || epoll_fd_ < 0) {
      lock.unlock();
      ::close(fd);  // shutting down, or the room is full: refusing costs nothing here
      return;
    }
    Entry e;
    e.generation = ++generation_;
    e.served = served;
    e.server = server;
    e.head_started = head_started_ms.has_value();
    const int64_t now = CoarseNowMs();
    e.deadline_ms = e.head_started ? *head_started_ms + limits::kRequestHeadTimeoutSec * 1000
                                   : now + limits::kKeepAliveTimeoutSec * 1000;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = (e.generation << 32) | static_cast<uint32_t>(fd);
    entries_[fd] = e;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      entries_.erase(fd);
      lock.unlock();
      ::close(fd);
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [fd, e] : entries_) ::close(fd);
    entries_.clear();
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    epoll_fd_ = -1;
  }

 private:
  struct Entry {
    uint64_t generation = 0;
    size_t served = 0;
    bool head_started = false;  // bytes of the next request have arrived
    int64_t deadline_ms = 0;
    GatedHttpServer* server = nullptr;
  };

  void Run() {
    pthread_setname_np(pthread_self(), "vigil-waiting");
    std::vector<epoll_event> events(256);
    std::vector<char> peek(limits::kMaxRequestHeadBytes + limits::kRequestBodyGateBytes);
    int64_t next_sweep = CoarseNowMs() + kSweepMs;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) return;
      }
      const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kSweepMs));
      for (int i = 0; i < n; ++i) {
        const int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
        const uint64_t generation = events[i].data.u64 >> 32;
        Entry e;
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = entries_.find(fd);
          if (it == entries_.end() || (it->second.generation & 0xffffffffu) != generation) continue;
          e = it->second;
        }
        const ssize_t got = ::recv(fd, peek.data(), peek.size(), MSG_PEEK | MSG_DONTWAIT);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
        HeadState state = HeadState::kIncomplete;
        if (got > 0) {
          state = ClassifyRequestHead(std::string_view(peek.data(), static_cast<size_t>(got)),
                                      limits::kMaxRequestHeadBytes, limits::kRequestBodyGateBytes,
                                      e.server->max_body_bytes());
        }
        if (got > 0 && state == HeadState::kIncomplete) {
          if (!e.head_started) {  // the first bytes of a request: its head deadline starts now
            std::lock_guard<std::mutex> lock(mu_);
            auto it = entries_.find(fd);
            it->second.head_started = true;
            it->second.deadline_ms = CoarseNowMs() + limits::kRequestHeadTimeoutSec * 1000;
          }
          continue;
        }
        Remove(fd);
        if (got <= 0) {
          ::close(fd);  // closed by the client
        } else if (state == HeadState::kTooLarge) {
          head_too_large_.fetch_add(1, std::memory_order_relaxed);
          AnswerAndClose(fd, Status::HeadersTooLarge("request head too large"),
                         "Request Header Fields Too Large");
        } else {
          GatedHttpServer* server = e.server;
          const size_t served = e.served;
          pool_->enqueue([server, fd, served] { server->ServeConnection(fd, served); });
        }
      }
      const int64_t now = CoarseNowMs();
      if (now >= next_sweep) {
        Sweep(now);
        next_sweep = now + kSweepMs;
      }
    }
  }

  void Remove(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    entries_.erase(fd);
  }

  // Closes connections past their deadline: 408 to a client whose request head has not arrived
  // in time, a silent close to one that stayed idle between requests.
  void Sweep(int64_t now) {
    std::vector<std::pair<int, bool>> expired;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.deadline_ms <= now) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
          expired.emplace_back(it->first, it->second.head_started);
          it = entries_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& [fd, started] : expired) {
      if (started) {
        heads_timed_out_.fetch_add(1, std::memory_order_relaxed);
        AnswerAndClose(fd, Status::RequestTimeout("request not received in time"),
                       "Request Timeout");
      } else {
        ::close(fd);
      }
    }
  }

  static constexpr int64_t kSweepMs = 100;
  WorkerPool* pool_;
  int epoll_fd_;
  std::mutex mu_;
  std::unordered_map<int, Entry> entries_;
  uint64_t generation_ = 0;
  bool stopped_ = false;
  std::thread thread_;

 public:
  static std::atomic<int64_t> heads_timed_out_, head_too_large_;
};
std::atomic<int64_t> WaitingRoom::heads_timed_out_{0};
std::atomic<int64_t> WaitingRoom::head_too_large_{0};

WorkerPool::WorkerPool(size_t threads, size_t max_pending) : max_pending_(max_pending) {
  room_ = std::make_unique<WaitingRoom>(this);
  for (size_t i = 0; i < threads; ++i) StartThread(false);
  for (size_t i = 0; i < kRejectThreads; ++i) StartThread(true);
}

WorkerPool::~WorkerPool() { room_.reset(); }

void WorkerPool::shutdown() {
  room_->Stop();  // no more hand-offs; parked connections are closed
  std::unique_lock<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
  reject_cv_.notify_all();
  exited_cv_.wait(lock, [this] { return live_threads_ == 0; });
}

void WorkerPool::Park(int fd, size_t served, std::optional<int64_t> head_started_ms,
                      GatedHttpServer* server) {
  room_->Park(fd, served, head_started_ms, server);
}

enum class Next { kReady, kPark, kClosed, kTooLarge };
struct Await {
  Next next = Next::kPark;
  std::optional<int64_t> head_started_ms;
};

// Waits on the worker, at most `wait_ms`, for the connection's next request to be ready. Bytes that
// keep arriving are waited for in 1 ms steps; a quiet socket is waited for with poll.
Await AwaitRequest(int fd, int64_t wait_ms, uint64_t max_body_bytes) {
  static thread_local std::vector<char> peek(limits::kMaxRequestHeadBytes +
                                             limits::kRequestBodyGateBytes);
  Await out;
  const int64_t deadline = CoarseNowMs() + wait_ms;
  for (;;) {
    const ssize_t n = ::recv(fd, peek.data(), peek.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return {Next::kClosed, {}};
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return {Next::kClosed, {}};
    }
    if (n > 0) {
      switch (ClassifyRequestHead(std::string_view(peek.data(), static_cast<size_t>(n)),
                                  limits::kMaxRequestHeadBytes, limits::kRequestBodyGateBytes,
                                  max_body_bytes)) {
        case HeadState::kReady:
          return {Next::kReady, {}};
        case HeadState::kTooLarge:
          return {Next::kTooLarge, {}};
        case HeadState::kIncomplete:
          if (!out.head_started_ms) out.head_started_ms = CoarseNowMs();
          break;
      }
    }
    const int64_t left = deadline - CoarseNowMs();
    if (left <= 0) return out;  // park
    if (n > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left));
    }
  }
}

}  // namespace

HeadState ClassifyRequestHead(std::string_view b, size_t max_head_bytes, size_t body_gate_bytes,
                              uint64_t max_body_bytes) {
  // The head ends at the first empty line ("\r\n" right after a line end), as httplib reads it.
  const size_t blank = b.find("\n\r\n");
  if (blank == std::string_view::npos) {
    return b.size() >= max_head_bytes ? HeadState::kTooLarge : HeadState::kIncomplete;
  }
  const size_t head_len = blank + 3;
  if (head_len > max_head_bytes) return HeadState::kTooLarge;
  uint64_t content_length = 0;
  bool gate_body = true;
  std::string_view rest = b.substr(0, head_len);
  rest.remove_prefix(std::min(rest.size(), rest.find('\n') + 1));  // the request line
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      content_length = 0;
      for (char c : value.substr(0, 19)) {
        if (c < '0' || c > '9') break;
        content_length = content_length * 10 + static_cast<uint64_t>(c - '0');
      }
    } else if (IEquals(name, "transfer-encoding") || IEquals(name, "expect")) {
      // Chunked bodies have no length to wait for; an `Expect: 100-continue` client sends its
      // body only after the server's interim answer.
      gate_body = false;
    }
  }
  if (!gate_body || content_length == 0 || content_length > max_body_bytes) {
    return HeadState::kReady;
  }
  const uint64_t want = std::min<uint64_t>(content_length, body_gate_bytes);
  return b.size() - head_len >= want ? HeadState::kReady : HeadState::kIncomplete;
}

httplib::TaskQueue* NewWorkerPool(size_t threads, size_t max_pending) {
  return new WorkerPool(threads, max_pending);
}

bool IsRejectWorker() { return t_reject_connection; }
int CurrentConnectionSocket() { return t_socket; }
bool RequestDeadlinePassed() { return t_deadline_passed; }
void DetachWorkerForStream() { WorkerPool::DetachCurrentWorker(); }
ConnectionCounters GetConnectionCounters() {
  return {WaitingRoom::heads_timed_out_.load(), WaitingRoom::head_too_large_.load()};
}

GatedHttpServer::GatedHttpServer() {
  // Whether a response ends its connection (the pipeline may add `Connection: close` late, after
  // httplib decided about keep-alive).
  set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    t_response_closes = res.get_header_value("Connection") == "close";
  });
}

bool GatedHttpServer::process_and_close_socket(socket_t sock) {
  ServeConnection(sock, 0);
  return true;
}

void GatedHttpServer::Close(int fd) {
  httplib::detail::shutdown_socket(fd);
  httplib::detail::close_socket(fd);
}

void GatedHttpServer::ServeConnection(int fd, size_t served) {
  WorkerPool* pool = WorkerPool::Current();
  for (;;) {
    if (svr_sock_ == INVALID_SOCKET) return Close(fd);  // stopping
    // Wait here briefly (a client on a keep-alive connection usually sends its next request
    // at once); not at all while other connections wait for a worker, so workers take turns.
    const int64_t wait_ms =
        pool == nullptr || pool->HasBacklog() ? 0 : limits::kWorkerRequestWaitMs;
    const Await a = AwaitRequest(fd, wait_ms, payload_max_length_);
    if (a.next == Next::kClosed) return Close(fd);
    if (a.next == Next::kTooLarge) {
      WaitingRoom::head_too_large_.fetch_add(1, std::memory_order_relaxed);
      return AnswerAndClose(fd, Status::HeadersTooLarge("request head too large"),
                            "Request Header Fields Too Large");
    }
    if (a.next == Next::kPark) {
      // Without a pool (the accept thread answering past both backlogs) there is no room.
      if (pool == nullptr) return Close(fd);
      return pool->Park(fd, served, a.head_started_ms, this);
    }
    httplib::detail::SocketStream socket_stream(fd, read_timeout_sec_, read_timeout_usec_,
                                                write_timeout_sec_, write_timeout_usec_);
    DeadlineStream strm(socket_stream,
                        CoarseNowMs() + limits::kRequestBodyTimeoutSec * int64_t{1000});
    const bool last = served + 1 >= keep_alive_max_count_;
    bool connection_closed = false;
    t_socket = fd;
    t_response_closes = false;
    t_deadline_passed = false;
    const bool ok = process_request(strm, last, connection_closed, nullptr);
    t_socket = -1;
    ++served;
    if (!ok || last || connection_closed || t_response_closes) return Close(fd);
    // A worker that detached for a halt stream ends with this request; the connection waits for
    // its next one in the room like any other.
    if (WorkerPool::CurrentDetached() && pool != nullptr) {
      return pool->Park(fd, served, std::nullopt, this);
    }
  }
}

}  // namespace vigil
