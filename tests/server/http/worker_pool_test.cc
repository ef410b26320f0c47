#include "server/http/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace vigil {
namespace {

TEST_CASE("a full queue refuses at once, and Stop runs what was queued") {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  bool started = false;
  std::atomic<int> ran{0};
  WorkerPool pool(1, 2);
  auto blocker = [&] {
    std::unique_lock<std::mutex> lock(mu);
    started = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    ran.fetch_add(1);
  };
  REQUIRE(pool.TrySubmit(blocker));
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return started; });  // the one worker is busy
  }
  int queued = 0;
  while (pool.TrySubmit([&] { ran.fetch_add(1); })) ++queued;
  CHECK(queued == 2);
  CHECK(pool.backlog() == 2);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  pool.Stop();
  CHECK(ran.load() == queued + 1);
  CHECK_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace vigil
