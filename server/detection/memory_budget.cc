#include "server/detection/memory_budget.h"

namespace vigil {

MemoryBudget::MemoryBudget(size_t max_bytes) : max_bytes_(max_bytes) {}

MemoryBudget::Lease::Lease(Lease&& other) noexcept : budget_(other.budget_), bytes_(other.bytes_) {
  other.budget_ = nullptr;
  other.bytes_ = 0;
}

MemoryBudget::Lease::~Lease() {
  if (budget_) budget_->Change(bytes_, 0);
}

void MemoryBudget::Lease::Resize(size_t bytes) {
  if (budget_) budget_->Change(bytes_, bytes);
  bytes_ = bytes;
}

MemoryBudget::Lease MemoryBudget::Acquire(size_t bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t ticket = next_ticket_++;
  // In order of asking, so a large pass is not passed over forever by small ones.
  cv_.wait(lock,
           [&] { return ticket == serving_ && (held_ == 0 || (held_ + bytes <= max_bytes_)); });
  held_ += bytes;
  ++serving_;
  lock.unlock();
  cv_.notify_all();  // the next in line may fit too
  return Lease(this, bytes);
}

size_t MemoryBudget::held() {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

void MemoryBudget::Change(size_t from, size_t to) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = held_ - from + to;
  }
  if (to < from) cv_.notify_all();
}

}  // namespace vigil
