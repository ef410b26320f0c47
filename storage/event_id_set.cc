#include "storage/event_id_set.h"

#include <algorithm>
#include <functional>

namespace vigil {

uint64_t EventIdSet::HashOf(uint32_t index) const {
  return std::hash<std::string_view>{}(key(index));
}

void EventIdSet::Reserve(size_t n, size_t key_bytes) {
  entries_.reserve(n);
  arena_.reserve(n * key_bytes);
  size_t slots = 1024;
  while (4 * n > 3 * slots) slots *= 2;
  if (slots > slots_.size()) Grow(slots);
}

uint32_t EventIdSet::Find(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return kNone;
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = hash & 0xffffffff00000000ULL;
  for (size_t i = static_cast<size_t>(hash) & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) return kNone;
    if ((s & 0xffffffff00000000ULL) == tag) {
      const auto index = static_cast<uint32_t>(s - 1);  // the low half; the tag is shifted out
      if (key == this->key(index)) return index;
    }
  }
}

uint32_t EventIdSet::Add(std::string_view key, uint64_t hash, int64_t row) {
  if (4 * (entries_.size() + 1) > 3 * slots_.size()) {
    Grow(slots_.empty() ? 1024 : 2 * slots_.size());
  }
  const auto index = static_cast<uint32_t>(entries_.size());
  entries_.push_back(
      Entry{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), row});
  arena_.append(key);
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(hash) & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = Slot(index, hash);
  return index;
}

void EventIdSet::RemoveNewest() {
  const auto index = static_cast<uint32_t>(entries_.size() - 1);
  const Entry& e = entries_.back();
  const uint64_t hash = HashOf(index);
  // Every entry added after this one is gone, so no probe sequence runs through its slot: emptying
  // it breaks no chain.
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(hash) & mask;
  while (slots_[i] != Slot(index, hash)) i = (i + 1) & mask;
  slots_[i] = 0;
  arena_.resize(e.offset);
  entries_.pop_back();
}

void EventIdSet::Clear() {
  arena_.clear();
  entries_.clear();
  std::fill(slots_.begin(), slots_.end(), 0);
}

void EventIdSet::Grow(size_t slots) {
  slots_.assign(slots, 0);
  const size_t mask = slots_.size() - 1;
  for (uint32_t index = 0; index < entries_.size(); ++index) {
    const uint64_t hash = HashOf(index);
    size_t i = static_cast<size_t>(hash) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = Slot(index, hash);
  }
}

}  // namespace vigil
