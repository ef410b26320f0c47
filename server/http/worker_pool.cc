#include "server/http/worker_pool.h"

#include <pthread.h>

#include <algorithm>
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
  if (!idle_.empty()) {
    Idle* last = idle_.back();
    idle_.pop_back();
    last->woken = true;
    last->cv.notify_one();
  }
  return true;
}

size_t WorkerPool::backlog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

size_t WorkerPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

void WorkerPool::Stop() {
  std::unique_lock<std::mutex> lock(mu_);
  stop_ = true;
  for (Idle* idle : idle_) idle->cv.notify_one();
  idle_.clear();
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

bool WorkerPool::AwaitJob(std::unique_lock<std::mutex>& lock, Idle& me) {
  while (!stop_ && jobs_.empty()) {
    me.woken = false;
    idle_.push_back(&me);
    me.cv.wait(lock, [&] { return me.woken || stop_; });
    // Woken by Stop() (which empties idle_) or by a job another worker may have taken already.
    const auto it = std::find(idle_.begin(), idle_.end(), &me);
    if (it != idle_.end()) idle_.erase(it);
  }
  return !jobs_.empty();
}

void WorkerPool::Work() {
  pthread_setname_np(pthread_self(), "vigil-http");
  t_pool = this;
  Idle me;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!AwaitJob(lock, me)) break;
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
