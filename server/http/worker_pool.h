// The HTTP workers: `threads` threads running complete requests (handler and response write),
// with a bounded queue. A full queue is refused at once (the front answers 503), so overload
// turns into fast, explicit refusals instead of unbounded memory and latency.
//
// A job goes to the worker that became idle last. Each worker keeps per-thread state that grows
// with what it handled (a JSON parser's buffers, malloc's per-thread caches), so handing work
// round-robin to all of them would keep every worker's state warm: with 64 workers and 16 busy
// connections, that cost about 30 MiB of resident memory for nothing. Last-idle-first keeps the
// set of active workers as small as the load needs.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace vigil {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_pending);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; false when the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> job);
  // Runs what is queued, then ends every thread (detached ones included) and waits for them.
  void Stop();
  size_t backlog() const;
  // Workers waiting for a job.
  size_t idle() const;

  // Called by a worker about to hold its connection for a long time (a halt stream, a webhook
  // test): a replacement starts at once, so long-lived responses never eat the workers that serve
  // ingestion, and this thread ends with its current job. No-op off a worker thread.
  static void DetachCurrentWorker();

 private:
  // An idle worker, waiting on its own condition variable so it can be woken alone.
  struct Idle {
    std::condition_variable cv;
    bool woken = false;
  };

  void StartThread();
  void Work();
  // Waits until a job is queued or the pool stops; false when it stopped with nothing queued.
  bool AwaitJob(std::unique_lock<std::mutex>& lock, Idle& me);

  size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable exited_cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<Idle*> idle_;  // the most recently idle last
  size_t live_threads_ = 0;
  bool stop_ = false;
};

}  // namespace vigil
