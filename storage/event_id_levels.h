// The two levels of the event-id index, as bookkeeping. Internal to storage/.
//
// Why two (storage/DESIGN.md, "Event ids decide the write cost"): a sorted generation of new ids
// merged into one index of N ids dirties about min(1, N / generation) pages per id, so a single
// index costs more per event the more events are stored. Generations therefore merge into the
// current part of a small level (`event_ids_recent`), which never grows past about `part_ids`;
// a full part is sealed, and every group then moves a key range of the sealed part into the large
// level (`event_ids`). Each id is written twice, each time into an index that takes many ids per
// page: the pages written per id stay bounded up to about 10 * part_ids stored ids per database
// and grow slowly past that.
//
// This class decides which part is current, when to seal, and how much each group moves; the SQL
// is in event_id_index.cc. Changes are pending until Commit (the group committed) and dropped by
// Forget (the group or its merge rolled back), like the remembered ids.
//
// Writer thread only: no locking.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil {

class EventIdLevels {
 public:
  // As stored in `event_id_merge`. The counts are from above (deletes do not lower them): they
  // only pace the moves and decide when to seal.
  struct State {
    int current_part = 0;     // 0 or 1; the sealed part is the other one
    int64_t current_ids = 0;  // ids merged into the current part
    int64_t sealed_ids = 0;   // ids of the sealed part not moved yet (0: nothing sealed)
    bool operator==(const State& o) const {
      return current_part == o.current_part && current_ids == o.current_ids &&
             sealed_ids == o.sealed_ids;
    }
  };

  explicit EventIdLevels(size_t part_ids) : part_ids_(part_ids < 1 ? 1 : part_ids) {}

  void Load(const State& s) { committed_ = pending_ = s; }
  const State& committed() const { return committed_; }
  const State& pending() const { return pending_; }
  // The pending state differs from the committed one: it must be written with the transaction.
  bool changed() const { return !(pending_ == committed_); }

  int current_part() const { return pending_.current_part; }
  int sealed_part() const { return 1 - pending_.current_part; }

  // Seals the current part when it is full and the sealed one is empty; a part that fills while
  // the sealed one is still moving (a burst, or moves that keep failing) goes on taking ids until
  // it is.
  void MaybeSeal();
  // `ids` new rows went into the current part.
  void Merged(int64_t ids) { pending_.current_ids += ids; }
  // How many ids of the sealed part this group moves, given the ids the group stored: paced so
  // the sealed part is gone by the time the current one is kMoveByPercent full, never fewer than
  // kMinMove (so quiet groups finish it too) nor more than a few times the group's own ids (so a
  // burst does not make one group move a whole part). 0 when nothing is sealed.
  size_t MoveBudget(size_t group_ids) const;
  // The group moved `ids` ids; `emptied`: the sealed part has no more.
  void Moved(int64_t ids, bool emptied);

  void Commit() { committed_ = pending_; }
  void Forget() { pending_ = committed_; }

  static constexpr size_t kMinMove = 1024;
  static constexpr size_t kMoveByPercent = 80;
  static constexpr size_t kMaxMovePerGroupId = 8;

 private:
  const size_t part_ids_;
  State committed_;
  State pending_;
};

}  // namespace vigil
