#include "storage/event_id_filter.h"

#include <algorithm>

namespace vigil {
namespace {

// Odd constants from split-block Bloom filters: each derives one bit position in its own word
// from the same 32-bit hash half, so the eight positions are independent enough.
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

}  // namespace

EventIdFilter::EventIdFilter(size_t bytes) : blocks_(std::max<size_t>(1, bytes / sizeof(Block))) {
  Clear();
}

void EventIdFilter::Clear() { std::fill(blocks_.begin(), blocks_.end(), Block{}); }

EventIdFilter::Probe EventIdFilter::ProbeFor(uint64_t h) const {
  Probe p;
  // The high half picks the block (multiply-shift instead of a modulo), the low half the bits.
  p.block = static_cast<size_t>(((h >> 32) * blocks_.size()) >> 32);
  const auto low = static_cast<uint32_t>(h);
  for (int i = 0; i < 8; ++i) p.mask[i] = uint64_t{1} << ((low * kSalt[i]) >> 26);
  return p;
}

void EventIdFilter::Add(uint64_t hash) {
  const Probe p = ProbeFor(hash);
  Block& b = blocks_[p.block];
  for (int i = 0; i < 8; ++i) b.words[i] |= p.mask[i];
}

bool EventIdFilter::MayContain(uint64_t hash) const {
  const Probe p = ProbeFor(hash);
  const Block& b = blocks_[p.block];
  for (int i = 0; i < 8; ++i) {
    if ((b.words[i] & p.mask[i]) == 0) return false;
  }
  return true;
}

}  // namespace vigil
