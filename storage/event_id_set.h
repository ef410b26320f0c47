// An insert-only hash set of event-id keys with a row per key, for RecentEventIds. Internal to
// storage/.
//
// Why not std::unordered_map: the writer stores one key per event, and a node-based map costs two
// allocations and two or three cache misses for each. Here keys live back to back in one arena,
// entries in one array, and the table is open-addressed with a 32-bit tag per slot, so an insert is
// one probe into the table and two appends, and a lookup rarely reads a key that does not match.
// Keys are only ever removed newest first (a rolled-back job) or all at once (Clear), which is all
// RecentEventIds needs, and which keeps linear probing correct without tombstones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

class EventIdSet {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Every `hash` below is std::hash<std::string_view>{}(key): the set computes it again itself
  // where it does not keep it.
  // Index of `key`, or kNone.
  uint32_t Find(std::string_view key, uint64_t hash) const;
  // Makes room for `n` entries of `key_bytes` key bytes on average without reallocating.
  void Reserve(size_t n, size_t key_bytes);
  // Adds `key` as the newest entry. REQUIRES: Find(key, hash) == kNone.
  uint32_t Add(std::string_view key, uint64_t hash, int64_t row);
  // Removes the newest entry.
  void RemoveNewest();
  void Clear();

  size_t size() const { return entries_.size(); }
  // Heap bytes held, spare capacity included.
  size_t memory_bytes() const {
    return arena_.capacity() + entries_.capacity() * sizeof(Entry) +
           slots_.capacity() * sizeof(uint64_t);
  }
  std::string_view key(uint32_t i) const {
    return std::string_view(arena_).substr(entries_[i].offset, entries_[i].size);
  }
  int64_t row(uint32_t i) const { return entries_[i].row; }
  void set_row(uint32_t i, int64_t row) { entries_[i].row = row; }

 private:
  // 16 bytes: the hash is not kept (Grow and RemoveNewest, both rare, hash the key again).
  struct Entry {
    uint32_t offset;  // into arena_ (bounded: RecentEventIds holds a few generations of ids)
    uint32_t size;
    int64_t row;
  };
  // A slot holds entry index + 1 (0 = empty) in its low half and the hash's high half as a tag.
  static uint64_t Slot(uint32_t index, uint64_t hash) {
    return (hash & 0xffffffff00000000ULL) | (uint64_t{index} + 1);
  }
  void Grow(size_t slots);
  uint64_t HashOf(uint32_t index) const;

  std::string arena_;
  std::vector<Entry> entries_;
  // Size a power of two, at most 3/4 full: RecentEventIds reserves room for 1.25 generations, so
  // a generation fills half the slots and a late merge 5/8 (short probes either way, all in one or
  // two cache lines), where a bound of 1/2 would take twice the memory.
  std::vector<uint64_t> slots_;
};

}  // namespace vigil
