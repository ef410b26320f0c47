// A fixed-size Bloom filter over event-id keys. Internal to storage/.
//
// The writer asks it before looking an id up: "no" is certain, so a new id (nearly every id)
// costs one cache line here instead of an index probe. "Maybe" falls through to the exact checks.
// Ids are never removed (a deleted event leaves its bits set), which only makes "maybe" more
// frequent; the filter is rebuilt from the index each time the store opens.
//
// The filter is blocked: all of a key's bits lie in one 64-byte block, so a check touches one
// cache line. Its size is fixed when it is made, so its memory is bounded; past about one id per
// 10 bits its false-positive rate climbs, and the cost returns gradually to one probe per id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vigil {

class EventIdFilter {
 public:
  // `bytes` is rounded down to whole 64-byte blocks (at least one).
  explicit EventIdFilter(size_t bytes);

  // Keys are given by a 64-bit hash of good quality (its halves are used separately).
  void Add(uint64_t hash);
  // False: no key with this hash was added. True: one may have been.
  bool MayContain(uint64_t hash) const;
  void Clear();

  size_t bytes() const { return blocks_.size() * sizeof(Block); }

 private:
  struct Block {
    uint64_t words[8];
  };
  // The block and the bit pattern for one key.
  struct Probe {
    size_t block;
    uint64_t mask[8];
  };
  Probe ProbeFor(uint64_t hash) const;

  std::vector<Block> blocks_;
};

}  // namespace vigil
