#include "server/http/worker_pool.h"

#include <pthread.h>

#include <thread>

namespace vigil {
namespace {

thread_local WorkerPool* t_pool = nullptr;
thread_local bool t_detached = false;

}  // namespace

WorkerPool::WorkerPool(size_t threads, size_t max_pending) : max_pending_(max_pending) {
  for (size_t i = 0; i < threads; ++i) StartThread();
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::TrySubmit(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_ || jobs_.size() >= max_pending_) return false;
  jobs_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

size_t WorkerPool::backlog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void WorkerPool::Stop() {
  std::unique_lock<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
  exited_cv_.wait(lock, [this] { return live_threads_ == 0; });
}

void WorkerPool::DetachCurrentWorker() {
  if (t_pool == nullptr || t_detached) return;
  t_detached = true;
  t_pool->StartThread();
}

void WorkerPool::StartThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++live_threads_;
  }
  std::thread([this] { Work(); }).detach();
}

void WorkerPool::Work() {
  pthread_setname_np(pthread_self(), "vigil-http");
  t_pool = this;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    if (t_detached) break;  // a replacement took this worker's place
  }
  std::lock_guard<std::mutex> lock(mu_);
  --live_threads_;
  exited_cv_.notify_all();
}

}  // namespace vigil
