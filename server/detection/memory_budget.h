// A server-wide budget of bytes that passes hold at once (the final passes' events,
// docs/operations.md#memory). A pass asks for its estimate before it reads and corrects it to what
// it holds once it has read; it waits, in order of asking, until its bytes fit beside the bytes
// already held. A pass larger than the whole budget is not refused: it waits until nothing else is
// held and then runs alone, so the budget delays work past its bound and never drops it.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace vigil {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t max_bytes);

  // Bytes held from Acquire until destroyed (or moved from).
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    // Holds `bytes` instead, at once: a pass corrects its estimate to what it read, which it holds
    // already whatever the budget says.
    void Resize(size_t bytes);
    size_t bytes() const { return bytes_; }

   private:
    friend class MemoryBudget;
    Lease(MemoryBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
    MemoryBudget* budget_;
    size_t bytes_;
  };

  // Waits for its turn, and then until `bytes` fit beside the bytes held (or none are held).
  Lease Acquire(size_t bytes);
  size_t held();

 private:
  void Change(size_t from, size_t to);

  const size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t held_ = 0;
  uint64_t next_ticket_ = 0;  // handed to each Acquire in order
  uint64_t serving_ = 0;      // the ticket whose turn it is
};

}  // namespace vigil
