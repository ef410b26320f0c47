#include "server/http/peer_watch.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace vigil {
namespace {

// Events read per epoll_wait; more closes than this are simply taken by the next call.
constexpr int kPeerWatchEventsPerWait = 64;

}  // namespace

PeerWatch::~PeerWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (wake_fd_ < 0) return;
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool PeerWatch::StartLocked() {
  if (epoll_fd_ >= 0) return true;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    epoll_fd_ = wake_fd_ = -1;
    return false;
  }
  thread_ = std::thread([this] { Run(); });
  return true;
}

std::shared_ptr<void> PeerWatch::Watch(int fd, std::function<void()> on_closed) {
  if (fd < 0) return nullptr;
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!StartLocked()) return nullptr;
    id = next_id_++;
    // Only the close: EPOLLRDHUP, with EPOLLHUP and EPOLLERR always reported. No EPOLLIN, so bytes
    // the client sends and nobody reads never wake the thread.
    epoll_event ev{};
    ev.events = EPOLLRDHUP;
    ev.data.u64 = id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return nullptr;
    entries_.emplace(id, Entry{fd, std::move(on_closed)});
  }
  // Non-null (a null shared_ptr tests false): points at this watch, unwatches when dropped.
  return std::shared_ptr<void>(this, [this, id](void*) { Unwatch(id); });
}

void PeerWatch::Unwatch(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // already reported (and removed) by the thread
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  entries_.erase(it);
}

size_t PeerWatch::watched() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void PeerWatch::Run() {
  pthread_setname_np(pthread_self(), "vigil-peerwatch");
  epoll_event events[kPeerWatchEventsPerWait];
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events, kPeerWatchEventsPerWait, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    std::vector<std::function<void()>> closed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int i = 0; i < n; ++i) {
        // A copy: epoll_event is packed on x86-64, so its u64 may be misaligned for a reference.
        const uint64_t id = events[i].data.u64;
        if (id == 0) return;  // the destructor's wake-up
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;  // unwatched meanwhile
        // Reported once: the registration goes, so a level-triggered close cannot spin.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
        closed.push_back(std::move(it->second.on_closed));
        entries_.erase(it);
      }
    }
    for (auto& fn : closed) fn();
  }
}

}  // namespace vigil
