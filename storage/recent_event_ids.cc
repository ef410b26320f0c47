#include "storage/recent_event_ids.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace vigil {
namespace {

// The smallest merge slice: at low ingest rates a generation still drains in a bounded number of
// groups, and a slice this size writes a handful of index pages.
constexpr size_t kMinMergeSlice = 1024;

// Bytes [offset, offset + 8) of `key` as a big-endian word, zero-padded past its end.
uint64_t Word(std::string_view key, size_t offset) {
  unsigned char b[8] = {};
  if (offset < key.size()) {
    std::memcpy(b, key.data() + offset, std::min<size_t>(8, key.size() - offset));
  }
  uint64_t w = 0;
  for (unsigned char c : b) w = (w << 8) | c;  // compiles to one byte swap
  return w;
}

}  // namespace

void RecentEventIds::EncodeKey(int64_t project, std::string_view event_id, std::string* out) {
  out->resize(8 + event_id.size());
  const auto p = static_cast<uint64_t>(project);
  for (int i = 0; i < 8; ++i) (*out)[i] = static_cast<char>(p >> (56 - 8 * i));
  std::copy(event_id.begin(), event_id.end(), out->begin() + 8);
}

int64_t RecentEventIds::KeyProject(std::string_view key) {
  return static_cast<int64_t>(Word(key, 0));
}

uint64_t RecentEventIds::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

void RecentEventIds::Reset(int64_t next_row) {
  next_row_ = next_row;
  verify_below_row_ = 0;
  filter_.Clear();
  fresh_.Clear();
  staged_.clear();
  fresh_order_.clear();
  frozen_.Clear();
  order_.clear();
  merged_ = slice_end_ = 0;
  frozen_watermark_ = 0;
  // Room for a generation and a few groups more, so steady ingestion never reallocates; the
  // vectors grow past this only if merges fall behind (bounded by Full()).
  const size_t room = generation_size_ + generation_size_ / 4;
  fresh_.Reserve(room, 24);
  frozen_.Reserve(room, 24);
  fresh_order_.reserve(room);
  order_.reserve(room);
}

void RecentEventIds::Remember(uint32_t index) {
  const std::string_view k = fresh_.key(index);
  fresh_order_.push_back(MergeItem{{Word(k, 0), Word(k, 8), Word(k, 16)}, index});
}

void RecentEventIds::Load(std::string_view key, int64_t row) {
  const uint64_t hash = Hash(key);
  filter_.Add(hash);
  if (fresh_.Find(key, hash) == EventIdSet::kNone) Remember(fresh_.Add(key, hash, row));
}

void RecentEventIds::MaybeFreeze() {
  if (!order_.empty() || fresh_.size() < generation_size_) return;
  // The set moves as a whole and the merge order was collected as ids committed, so freezing is
  // one sort of inline prefixes that seldom reads a key: a few milliseconds between two groups.
  std::swap(frozen_, fresh_);
  fresh_.Clear();
  order_.swap(fresh_order_);
  fresh_order_.clear();
  const EventIdSet& set = frozen_;
  std::sort(order_.begin(), order_.end(), [&set](const MergeItem& a, const MergeItem& b) {
    if (a.prefix[0] != b.prefix[0]) return a.prefix[0] < b.prefix[0];
    if (a.prefix[1] != b.prefix[1]) return a.prefix[1] < b.prefix[1];
    if (a.prefix[2] != b.prefix[2]) return a.prefix[2] < b.prefix[2];
    return set.key(a.index) < set.key(b.index);
  });
  merged_ = slice_end_ = 0;
  // Every row below next_row_ is committed (this runs between transactions), and its id is now
  // in the index or in this generation: once the generation is merged, the index covers them.
  frozen_watermark_ = next_row_ - 1;
}

int64_t RecentEventIds::Find(std::string_view key, uint64_t hash) const {
  if (uint32_t i = fresh_.Find(key, hash); i != EventIdSet::kNone) return fresh_.row(i);
  // Ids of the generation already merged are in the index as well; reporting them here is
  // harmless (after a delete their rows are verified like any other).
  if (uint32_t i = frozen_.Find(key, hash); i != EventIdSet::kNone) return frozen_.row(i);
  return 0;
}

void RecentEventIds::Stage(std::string_view key, uint64_t hash, int64_t row) {
  staged_.reserve(staged_.size() + 1);  // so the undo record cannot fail once the set changed
  filter_.Add(hash);                    // not undone by a rollback: a stray bit only costs a lookup
  if (uint32_t i = fresh_.Find(key, hash); i != EventIdSet::kNone) {
    // Already fresh: its old row was deleted (see REQUIRES), and the key now names the new row.
    staged_.push_back(Undo{i, fresh_.row(i)});
    fresh_.set_row(i, row);
    return;
  }
  staged_.push_back(Undo{fresh_.Add(key, hash, row), 0});
}

void RecentEventIds::RollbackJob(size_t mark) {
  // Newest first: an entry this transaction added is then fresh_'s newest, and any later record
  // naming it has been undone already.
  while (staged_.size() > mark) {
    const Undo u = staged_.back();
    staged_.pop_back();
    if (u.previous_row == 0) {
      fresh_.RemoveNewest();
    } else {
      fresh_.set_row(u.index, u.previous_row);
    }
  }
}

RecentEventIds::Slice RecentEventIds::TakeMergeSlice() {
  Slice slice;
  const size_t left = order_.size() - merged_;
  if (left == 0) return slice;
  // Twice this group's new ids: the generation is merged before the fresh ids that arrive
  // meanwhile fill the next one. Should they fill it anyway, the rest goes in one slice.
  size_t n = std::max(kMinMergeSlice, 2 * staged_.size());
  if (fresh_.size() >= generation_size_) n = left;
  n = std::min(n, left);
  slice_end_ = merged_ + n;
  slice.set = &frozen_;
  slice.begin = order_.data() + merged_;
  slice.end = order_.data() + slice_end_;
  slice.completes = slice_end_ == order_.size();
  slice.watermark = frozen_watermark_;
  return slice;
}

void RecentEventIds::Commit() {
  for (const Undo& u : staged_) {
    if (u.previous_row == 0) Remember(u.index);
  }
  staged_.clear();
  merged_ = slice_end_;
  if (!order_.empty() && merged_ == order_.size()) {
    order_.clear();
    frozen_.Clear();
    merged_ = slice_end_ = 0;
  }
  MaybeFreeze();
}

void RecentEventIds::Abort() {
  RollbackJob(0);
  slice_end_ = merged_;
}

}  // namespace vigil
