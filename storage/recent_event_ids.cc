#include "storage/recent_event_ids.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace vigil {
namespace {

// The smallest merge slice: at low ingest rates a generation still drains in a bounded number of
// groups, and a slice this size writes a handful of index pages.
constexpr size_t kMinMergeSlice = 1024;
// A generation's merge should be done when the fresh ids reach this share of the next one, so a
// burst of larger groups near the end still finds it done.
constexpr size_t kMergeByPercent = 80;

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
  filter_.reset();
  building_.reset();
  ids_ = 0;
  fresh_.Clear();
  staged_.clear();
  fresh_order_.clear();
  run_starts_.clear();
  runs_end_ = 0;
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
  scratch_.reserve(room / 2);  // the shorter of two runs is at most half of them
}

void RecentEventIds::Remember(uint32_t index) {
  const std::string_view k = fresh_.key(index);
  fresh_order_.push_back(MergeItem{{Word(k, 0), Word(k, 8), Word(k, 16)}, index});
}

void RecentEventIds::Load(std::string_view key, int64_t row) {
  const uint64_t hash = Hash(key);
  AddToFilters(hash);
  if (fresh_.Find(key, hash) == EventIdSet::kNone) Remember(fresh_.Add(key, hash, row));
}

void RecentEventIds::AddToFilters(uint64_t hash) {
  if (filter_) filter_->Add(hash);
  if (building_) building_->Add(hash);
  ++ids_;
}

std::shared_ptr<EventIdFilter> RecentEventIds::StartFilter(size_t ids) {
  ids_ = std::max(ids_, ids);
  // Twice the ids it starts with: it is outgrown, and rebuilt, only after they have doubled.
  building_ = std::make_shared<EventIdFilter>(EventIdFilter::BytesFor(2 * ids_, filter_max_bytes_));
  // The builder reads only the index; the ids waiting to be merged into it are added here.
  for (const EventIdSet* set : {&fresh_, &frozen_}) {
    for (uint32_t i = 0; i < set->size(); ++i) building_->Add(Hash(set->key(i)));
  }
  return building_;
}

void RecentEventIds::FilterBuilt() { filter_ = std::move(building_); }

void RecentEventIds::FilterBuildFailed() { building_.reset(); }

bool RecentEventIds::WantsFilter() const {
  if (building_) return false;
  if (!filter_) return true;
  return ids_ > filter_->capacity() && filter_->bytes() < filter_max_bytes_;
}

bool RecentEventIds::Less(const MergeItem& a, const MergeItem& b) const {
  if (a.prefix[0] != b.prefix[0]) return a.prefix[0] < b.prefix[0];
  if (a.prefix[1] != b.prefix[1]) return a.prefix[1] < b.prefix[1];
  if (a.prefix[2] != b.prefix[2]) return a.prefix[2] < b.prefix[2];
  return fresh_.key(a.index) < fresh_.key(b.index);
}

void RecentEventIds::CloseRun() {
  const size_t start = runs_end_;
  const size_t end = fresh_order_.size();
  if (start == end) return;
  std::sort(fresh_order_.begin() + static_cast<ptrdiff_t>(start), fresh_order_.end(),
            [this](const MergeItem& a, const MergeItem& b) { return Less(a, b); });
  run_starts_.push_back(start);
  runs_end_ = end;
  // Like a binary counter: a run merges with the one before it unless that one is more than twice
  // as long. Each run is then less than half the one before it, so there are at most log2(ids) + 1
  // runs, whatever the groups' sizes, and each id moves about that many times.
  while (run_starts_.size() >= 2) {
    const size_t n = run_starts_.size();
    if (run_starts_[n - 1] - run_starts_[n - 2] > 2 * (runs_end_ - run_starts_[n - 1])) break;
    MergeLastRuns();
  }
}

void RecentEventIds::MergeLastRuns() {
  const size_t n = run_starts_.size();
  MergeItem* const a = fresh_order_.data() + run_starts_[n - 2];
  MergeItem* const b = fresh_order_.data() + run_starts_[n - 1];
  MergeItem* const end = fresh_order_.data() + runs_end_;
  // The shorter run moves to scratch_, and the merge fills the freed room from that side: the
  // output never overtakes the longer run's unread part.
  if (b - a <= end - b) {
    scratch_.assign(a, b);
    const MergeItem* l = scratch_.data();
    const MergeItem* const l_end = l + scratch_.size();
    const MergeItem* r = b;
    MergeItem* out = a;
    while (l != l_end) *out++ = (r != end && Less(*r, *l)) ? *r++ : *l++;
    // What is left of [b, end) is already in place.
  } else {
    scratch_.assign(b, end);
    const MergeItem* const r_begin = scratch_.data();
    const MergeItem* r = r_begin + scratch_.size();
    const MergeItem* l = b;
    MergeItem* out = end;
    while (r != r_begin) *--out = (l != a && Less(r[-1], l[-1])) ? *--l : *--r;
    // What is left of [a, b) is already in place.
  }
  // Only now: should scratch_ have failed to grow (it can, once merges fall behind and runs
  // outgrow its reserve), the two runs stay recorded as two.
  run_starts_.pop_back();
}

void RecentEventIds::MaybeFreeze() {
  CloseRun();
  if (!order_.empty() || fresh_.size() < generation_size_) return;
  // The set moves as a whole and its merge order is a few sorted runs, each less than half the one
  // before: merging them from the shortest up moves each id once or twice, not a full sort.
  while (run_starts_.size() >= 2) MergeLastRuns();
  std::swap(frozen_, fresh_);
  fresh_.Clear();
  order_.swap(fresh_order_);
  fresh_order_.clear();
  run_starts_.clear();
  runs_end_ = 0;
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
  // Room for the undo record first, so it cannot fail once the set changed. Grown geometrically:
  // reserve(size + 1) would reallocate on every call, quadratic in the ids of a group.
  if (staged_.size() == staged_.capacity()) {
    staged_.reserve(std::max<size_t>(64, 2 * staged_.size()));
  }
  AddToFilters(hash);  // not undone by a rollback: a stray bit only costs a lookup
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

size_t RecentEventIds::memory_bytes() const {
  const size_t orders =
      (fresh_order_.capacity() + scratch_.capacity() + order_.capacity()) * sizeof(MergeItem);
  return fresh_.memory_bytes() + frozen_.memory_bytes() + orders +
         staged_.capacity() * sizeof(Undo) + run_starts_.capacity() * sizeof(size_t) +
         filter_bytes() + (building_ && building_ != filter_ ? building_->bytes() : 0);
}

RecentEventIds::Slice RecentEventIds::TakeMergeSlice() {
  Slice slice;
  const size_t left = order_.size() - merged_;
  if (left == 0) return slice;
  // Paced by this group's staged ids, so that the rest is merged by the time the fresh ids reach
  // kMergeByPercent of the next generation: every group then carries a slice about its own size,
  // rather than half the groups carrying twice that and the other half none. Should the fresh ids
  // get there first (a burst), the rest goes in one slice.
  const size_t by = generation_size_ * kMergeByPercent / 100;
  size_t n = left;
  if (fresh_.size() < by) {
    // fresh_ holds this group's ids already: `room` is them plus the ids still to come.
    const size_t room = by - fresh_.size() + staged_.size();
    n = std::max(kMinMergeSlice, (left * staged_.size() + room - 1) / room);
  }
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
