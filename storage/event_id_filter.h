// A Bloom filter over event-id keys, sized by the ids it is meant to hold. Internal to storage/.
//
// The writer asks it before looking an id up: "no" is certain, so a new id (nearly every id)
// costs one cache line here instead of an index probe. "Maybe" falls through to the exact checks.
// Ids are never removed (a deleted event leaves its bits set), which only makes "maybe" more
// frequent.
//
// The filter is blocked: all of a key's bits lie in one 64-byte block, so a check touches one
// cache line. Its size is fixed when it is made; past its capacity its false-positive rate
// climbs, and the cost returns gradually to one probe per id (RecentEventIds then builds a larger
// one). Its memory comes zeroed from the allocator and is touched only where bits are set, so an
// empty filter costs next to nothing.
//
// Add and MayContain may run on different threads at once (the writer adds ids while a builder
// adds the index's): the words are atomics, set with a relaxed OR. A reader sees every bit set by
// adds that happen-before its check.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace vigil {

class EventIdFilter {
 public:
  // Bits per id at capacity: about 2% false positives for a blocked filter of eight bits a key.
  static constexpr size_t kBitsPerId = 8;
  // The smallest filter: a new database's.
  static constexpr size_t kMinBytes = 64 << 10;

  // `bytes` is rounded down to whole 64-byte blocks (at least one).
  explicit EventIdFilter(size_t bytes);
  // A filter for `ids` ids at kBitsPerId: at least kMinBytes, at most `max_bytes`.
  static size_t BytesFor(size_t ids, size_t max_bytes);

  // Keys are given by a 64-bit hash of good quality (its halves are used separately).
  void Add(uint64_t hash);
  // False: no key with this hash was added. True: one may have been.
  bool MayContain(uint64_t hash) const;

  size_t bytes() const { return blocks_ * kBlockBytes; }
  size_t capacity() const { return bytes() * 8 / kBitsPerId; }

 private:
  static constexpr size_t kBlockWords = 8;
  static constexpr size_t kBlockBytes = kBlockWords * sizeof(uint64_t);
  struct Free {
    void operator()(std::atomic<uint64_t>* p) const;
  };
  // The block and the bit pattern for one key.
  struct Probe {
    size_t block;
    uint64_t mask[kBlockWords];
  };
  Probe ProbeFor(uint64_t hash) const;

  size_t blocks_;
  std::unique_ptr<std::atomic<uint64_t>[], Free> words_;
};

}  // namespace vigil
