// The ids of stored events not yet merged into the `event_ids` index. Internal to storage/.
//
// Why it exists (storage/DESIGN.md, "Event ids decide the write cost"): the SDKs' event ids are
// random, so inserting each into the per-project unique index as it arrives dirties one random
// index page per event. The writer instead remembers the ids of recent events here, checks new
// ids against this set and the index, and merges a frozen, sorted generation of them into the
// index a key range at a time, so each index page it writes takes many ids at once.
//
// Two generations: `fresh` (ids committed since the last freeze, plus those staged by the open
// transaction) and `frozen` (a generation being written into the index in key order). Every
// change made inside a transaction is undone by Abort(), so the set always equals "committed
// events whose ids the index does not hold yet", plus the frozen ids already merged and the ids
// read back on open whose generation was partly merged.
//
// Writer thread only: no locking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/event_id_filter.h"
#include "storage/event_id_set.h"

namespace vigil {

class RecentEventIds {
 public:
  // One id of a generation, in the order it will be merged: `index` is its entry in the
  // generation's set, and `prefix` the key's first 24 bytes as big-endian words (zero-padded), so
  // sorting compares integers and reads the key only on a tie.
  struct MergeItem {
    uint64_t prefix[3];
    uint32_t index;
  };
  // The part of the frozen generation one transaction writes into the index.
  struct Slice {
    const EventIdSet* set = nullptr;  // the frozen generation: key(index), row(index)
    const MergeItem* begin = nullptr;
    const MergeItem* end = nullptr;
    bool completes = false;  // the slice ends the generation...
    int64_t watermark = 0;   // ...which covers every row up to this one
  };

  // Past `generation_size` fresh ids the set freezes them into a generation to merge. Memory is
  // bounded: a generation merges before the next fills, and past four generations' worth of fresh
  // ids (merges that keep failing) Full() refuses new events. The filter of every stored id is
  // sized by the ids it holds, up to `filter_max_bytes`.
  RecentEventIds(size_t generation_size, size_t filter_max_bytes)
      : generation_size_(generation_size), filter_max_bytes_(filter_max_bytes) {}

  // 8 bytes of big-endian project id, then the event id: byte order equals the index's
  // (project, event_id) order, so a sorted generation walks the index from left to right.
  static void EncodeKey(int64_t project, std::string_view event_id, std::string* out);
  static int64_t KeyProject(std::string_view key);
  static std::string_view KeyEventId(std::string_view key) { return key.substr(8); }
  static uint64_t Hash(std::string_view key);

  // --- loading, before the writer starts ---
  // `next_row`: the first events.id above every stored one and the watermark (see NextRow).
  void Reset(int64_t next_row);
  void Load(std::string_view key, int64_t row);  // a committed, unmerged id found on open
  // Freezes the fresh ids if there are enough of them and nothing is merging (also run by Commit).
  void MaybeFreeze();

  // --- the filter of every stored id (storage/event_id_filter_build.h) ---
  // Until a filter is built (after open) every id counts as maybe stored: exact, one index probe
  // each. The writer thread makes the filter to build; a builder fills it from the index while
  // this adds the remembered ids and every later one; FilterBuilt switches to it.
  // A filter sized for `ids` stored ids and room to grow, holding every remembered id already.
  // REQUIRES: no build in progress.
  std::shared_ptr<EventIdFilter> StartFilter(size_t ids);
  void FilterBuilt();        // the build is whole: it answers from now on
  void FilterBuildFailed();  // the build ended early: the current filter (if any) goes on
  bool building_filter() const { return building_ != nullptr; }
  // No filter and no build (a failed build at open), or the ids outgrew the filter.
  bool WantsFilter() const;
  size_t stored_ids() const { return ids_; }  // an estimate from above (deletes are not counted)
  size_t filter_bytes() const { return (filter_ ? filter_->bytes() : 0); }
  // Heap bytes held: the remembered ids with their merge order and undo log, and the filters (the
  // one in use and the one being built).
  size_t memory_bytes() const;

  // --- inside a write transaction ---
  // `hash` is Hash(key).
  // False: no stored event of the project has this id, certainly (nearly every new id ends here).
  // True: it may have one; Find and then the index decide.
  bool MaybeStored(uint64_t hash) const { return !filter_ || filter_->MayContain(hash); }
  // The row of a remembered event with this key, or 0. After events were deleted (NoteDeletes)
  // the row may be gone; RowUnsure says when to check.
  int64_t Find(std::string_view key, uint64_t hash) const;
  bool RowUnsure(int64_t row) const { return row < verify_below_row_; }
  // The id for the next inserted event: above every row handed out since the store opened, so the
  // rows above the merge watermark are exactly the ones stored after it.
  int64_t NextRow() { return next_row_++; }
  // Too many ids wait for a merge (it keeps failing): refuse new events rather than grow.
  bool Full() const { return fresh_.size() >= 4 * generation_size_; }
  // Remembers the id of an event this transaction stored. REQUIRES: Find(key) is 0, or its row
  // no longer exists.
  void Stage(std::string_view key, uint64_t hash, int64_t row);
  size_t JobMark() const { return staged_.size(); }
  void RollbackJob(size_t mark);  // undoes what was staged since `mark`
  // Events may have been deleted (here or by another process): a remembered id may have lost its
  // row, so the merge and the callers of Find check that it still exists. Conservative: Abort
  // does not undo it.
  void NoteDeletes() { verify_below_row_ = next_row_; }

  // The next slice of the frozen generation, in key order, sized so that the generation's merge
  // is spread over the groups that fill most of the next one; empty when nothing is frozen.
  Slice TakeMergeSlice();
  // The slice's writes were rolled back; the transaction goes on without them.
  void ForgetMergeSlice() { slice_end_ = merged_; }

  // The transaction committed: staged ids become fresh, the merge slice is done.
  void Commit();
  // The transaction rolled back: staged ids and the merge slice are forgotten.
  void Abort();

  size_t fresh_size() const { return fresh_.size(); }
  size_t frozen_left() const { return order_.size() - merged_; }
  size_t fresh_runs() const { return run_starts_.size(); }

 private:
  // What Stage did, so RollbackJob can undo it: the entry in fresh_, and the row it named before
  // (0: Stage added the entry, so it is fresh_'s newest at undo time).
  struct Undo {
    uint32_t index;
    int64_t previous_row;
  };
  // Adds a committed entry of fresh_ to the next generation's merge order.
  void Remember(uint32_t index);
  // Sorts the entries remembered since the last run into a run of their own, then merges the
  // newest runs while the older of the two is at most twice as long as the newer.
  void CloseRun();
  // Merges the two newest runs of fresh_order_ into one.
  void MergeLastRuns();
  // Key order of two entries of fresh_ (runs are built and merged before fresh_ freezes).
  bool Less(const MergeItem& a, const MergeItem& b) const;

  // Adds a stored id to the filter in use and to the one being built.
  void AddToFilters(uint64_t hash);

  const size_t generation_size_;
  const size_t filter_max_bytes_;
  // Every id in the index or remembered here (and some deleted since); null until the first build
  // is whole. Shared with the builder while it is filled.
  std::shared_ptr<EventIdFilter> filter_;
  std::shared_ptr<EventIdFilter> building_;  // the filter a builder is filling, if any
  size_t ids_ = 0;                           // stored ids, estimated from above
  int64_t next_row_ = 1;
  int64_t verify_below_row_ = 0;
  EventIdSet fresh_;
  std::vector<Undo> staged_;  // this transaction's Stage calls, in order
  // fresh_'s committed entries as sorted runs, each less than half as long as the one before it
  // (so there are few), merged into one at freeze. Why runs: sorting a whole generation at once
  // held the writer between two groups for ~10 ms; a group's own ids sort in microseconds, and
  // merging runs as they pair up costs about the same in total, spread over the groups.
  std::vector<MergeItem> fresh_order_;
  std::vector<size_t> run_starts_;  // where each run of fresh_order_ begins, oldest first
  size_t runs_end_ = 0;             // fresh_order_[runs_end_, end) is not in a run yet
  std::vector<MergeItem> scratch_;  // the shorter run of a merge, moved out of the way
  EventIdSet frozen_;               // the generation being merged, unchanged until it is done
  std::vector<MergeItem> order_;    // frozen_ in key order
  size_t merged_ = 0;               // order_[0, merged_) is in the index (committed)
  size_t slice_end_ = 0;            // order_[merged_, slice_end_) is being merged, uncommitted
  int64_t frozen_watermark_ = 0;
};

class Connection;
class EventIdLevels;

// --- the SQL side (storage/event_id_index.cc) ---
// Rebuilds `recent` from the database on open: the events above the merge watermark (at most about
// two generations; some of their ids may be in the index already), and loads the levels' state.
// Returns an estimate from above of the stored events, to size the filter.
size_t LoadRecentEventIds(Connection* conn, RecentEventIds* recent, EventIdLevels* levels);
// Inside the writer's open transaction, once per group that stored `group_ids` new ids: seals a
// full part, writes the next slice of the frozen generation into the current part (advancing the
// watermark when the slice ends a generation), moves the next key range of the sealed part into
// `event_ids`, and saves the levels' state. Throws SQLite::Exception on failure.
void MergeEventIds(Connection* conn, RecentEventIds* recent, EventIdLevels* levels,
                   size_t group_ids);
// Inside the writer's open transaction: whether `project` stores an event `event_id` (the filter,
// the remembered ids, then both levels of the index decide, in that order); leaves the id's key
// and its hash in *key and *hash for RecentEventIds::Stage. Throws SQLite::Exception.
bool EventIdStored(Connection* conn, RecentEventIds* recent, int64_t project,
                   const std::string& event_id, std::string* key, uint64_t* hash);

}  // namespace vigil
