#include "server/http/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

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

TEST_CASE("a job goes to the worker that became idle last, so one worker serves a serial load") {
  constexpr size_t kThreads = 8;
  WorkerPool pool(kThreads, 16);
  auto wait_all_idle = [&] {
    while (pool.idle() != kThreads) std::this_thread::yield();
  };
  wait_all_idle();
  std::set<std::thread::id> served_by;
  for (int i = 0; i < 50; ++i) {
    std::atomic<bool> done{false};
    std::thread::id who;
    REQUIRE(pool.TrySubmit([&] {
      who = std::this_thread::get_id();
      done = true;
    }));
    while (!done) std::this_thread::yield();
    wait_all_idle();  // the worker is back among the idle ones, last
    served_by.insert(who);
  }
  // The first job may go to any worker; every later one to the same.
  CHECK(served_by.size() == 1);
  pool.Stop();
}

}  // namespace
}  // namespace vigil
