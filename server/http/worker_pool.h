// The HTTP workers: `threads` threads running complete requests (handler and response write),
// with a bounded queue. A full queue is refused at once (the front answers 503), so overload
// turns into fast, explicit refusals instead of unbounded memory and latency.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

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

  // Called by a worker about to hold its connection for a long time (a halt stream, a webhook
  // test): a replacement starts at once, so long-lived responses never eat the workers that serve
  // ingestion, and this thread ends with its current job. No-op off a worker thread.
  static void DetachCurrentWorker();

 private:
  void StartThread();
  void Work();

  size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_, exited_cv_;
  std::deque<std::function<void()>> jobs_;
  size_t live_threads_ = 0;
  bool stop_ = false;
};

}  // namespace vigil
