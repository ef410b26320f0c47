// PeerWatch: a connection's close is reported once, at once; bytes the client sends are not a
// close.
#include "server/http/peer_watch.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace vigil;

namespace {

struct SocketPair {
  int server = -1;
  int client = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    server = fds[0];
    client = fds[1];
  }
  ~SocketPair() {
    if (server >= 0) ::close(server);
    if (client >= 0) ::close(client);
  }
};

// Waits up to `ms` for `flag` to reach `want`.
bool WaitFor(const std::atomic<int>& flag, int want, int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (flag.load() != want && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return flag.load() == want;
}

}  // namespace

TEST_CASE("PeerWatch reports a client's close once and at once, not the bytes it sends") {
  PeerWatch watch;
  SocketPair p;
  std::atomic<int> closes{0};
  auto handle = watch.Watch(p.server, [&] { closes.fetch_add(1); });
  REQUIRE(static_cast<bool>(handle));
  CHECK(watch.watched() == 1);
  REQUIRE(::write(p.client, "unread", 6) == 6);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(closes.load() == 0);
  ::close(p.client);
  p.client = -1;
  CHECK(WaitFor(closes, 1, 2000));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(closes.load() == 1);
  CHECK(watch.watched() == 0);
  handle.reset();  // after the report: nothing left to undo
}

TEST_CASE("PeerWatch reports a connection already closed when it is watched") {
  PeerWatch watch;
  SocketPair p;
  ::close(p.client);
  p.client = -1;
  std::atomic<int> closes{0};
  auto handle = watch.Watch(p.server, [&] { closes.fetch_add(1); });
  CHECK(WaitFor(closes, 1, 2000));
}

TEST_CASE("A dropped PeerWatch handle stops the watch before the connection closes") {
  PeerWatch watch;
  SocketPair p;
  std::atomic<int> closes{0};
  auto handle = watch.Watch(p.server, [&] { closes.fetch_add(1); });
  handle.reset();
  CHECK(watch.watched() == 0);
  ::close(p.client);
  p.client = -1;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(closes.load() == 0);
  CHECK_FALSE(static_cast<bool>(watch.Watch(-1, [] {})));  // an unknown socket is not watched
}
