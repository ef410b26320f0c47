// Noticing, at once and without a thread per connection, that a client has closed a connection
// whose response mostly waits (a halt stream): one thread waits in epoll for every watched
// connection's close, so a departed client frees what its response holds (a thread, a descriptor,
// a stream slot) without waiting for a write to fail.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace vigil {

class PeerWatch {
 public:
  PeerWatch() = default;
  ~PeerWatch();  // stops the watch thread
  PeerWatch(const PeerWatch&) = delete;
  PeerWatch& operator=(const PeerWatch&) = delete;

  // Calls `on_closed` once, on the watch thread, when the client closes or resets connection
  // `fd` (a FIN, a reset or a socket error; bytes it sends do not count). Watching stops when the
  // returned handle is dropped, which must happen before `fd` is closed; `on_closed` may still be
  // running then, so it must own what it touches. nullptr when `fd` cannot be watched (fd < 0).
  std::shared_ptr<void> Watch(int fd, std::function<void()> on_closed);
  size_t watched() const;

 private:
  struct Entry {
    int fd;
    std::function<void()> on_closed;
  };
  bool StartLocked();  // REQUIRES mu_ held
  void Unwatch(uint64_t id);
  void Run();

  mutable std::mutex mu_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: ends the thread
  std::thread thread_;
  uint64_t next_id_ = 1;  // 0 is the wake descriptor's
  std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace vigil
