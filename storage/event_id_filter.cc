#include "storage/event_id_filter.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace vigil {
namespace {

// Odd constants from split-block Bloom filters: each derives one bit position in its own word
// from the same 32-bit hash half, so the eight positions are independent enough.
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

}  // namespace

void EventIdFilter::Free::operator()(std::atomic<uint64_t>* p) const { std::free(p); }

EventIdFilter::EventIdFilter(size_t bytes) : blocks_(std::max<size_t>(1, bytes / kBlockBytes)) {
  // calloc: a large filter's pages come from the kernel already zeroed and stay unmapped until a
  // bit is set in them. The atomics' default construction is trivial, so nothing writes them.
  void* raw = std::calloc(blocks_ * kBlockWords, sizeof(uint64_t));
  if (raw == nullptr) throw std::bad_alloc();
  auto* words = static_cast<std::atomic<uint64_t>*>(raw);
  for (size_t i = 0; i < blocks_ * kBlockWords; ++i) new (words + i) std::atomic<uint64_t>;
  words_.reset(words);
}

size_t EventIdFilter::BytesFor(size_t ids, size_t max_bytes) {
  const size_t wanted = ids / 8 * kBitsPerId + kBlockBytes;
  return std::min(max_bytes, std::max(kMinBytes, wanted));
}

EventIdFilter::Probe EventIdFilter::ProbeFor(uint64_t h) const {
  Probe p;
  // The high half picks the block (multiply-shift instead of a modulo), the low half the bits.
  p.block = static_cast<size_t>(((h >> 32) * blocks_) >> 32);
  const auto low = static_cast<uint32_t>(h);
  for (size_t i = 0; i < kBlockWords; ++i) p.mask[i] = uint64_t{1} << ((low * kSalt[i]) >> 26);
  return p;
}

void EventIdFilter::Add(uint64_t hash) {
  const Probe p = ProbeFor(hash);
  std::atomic<uint64_t>* b = words_.get() + p.block * kBlockWords;
  for (size_t i = 0; i < kBlockWords; ++i) b[i].fetch_or(p.mask[i], std::memory_order_relaxed);
}

bool EventIdFilter::MayContain(uint64_t hash) const {
  const Probe p = ProbeFor(hash);
  const std::atomic<uint64_t>* b = words_.get() + p.block * kBlockWords;
  for (size_t i = 0; i < kBlockWords; ++i) {
    if ((b[i].load(std::memory_order_relaxed) & p.mask[i]) == 0) return false;
  }
  return true;
}

}  // namespace vigil
