// The SQL side of per-project event-id uniqueness: the two levels of the index (`event_ids_recent`
// and `event_ids`), the merge watermark, and the lookups the writer makes before storing an event
// (storage/DESIGN.md, "Event ids decide the write cost").
#include <algorithm>
#include <string>

#include "storage/connection.h"
#include "storage/event_id_levels.h"
#include "storage/recent_event_ids.h"
#include "storage/sql.h"

namespace vigil {
namespace {

std::string_view ColumnBytes(const SQLite::Column& c) {
  return std::string_view(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

}  // namespace

size_t LoadRecentEventIds(Connection* conn, RecentEventIds* recent, EventIdLevels* levels) {
  SQLite::Statement w(conn->db(),
                      "SELECT merged_through, current_part, current_ids, sealed_ids,"
                      " (SELECT COALESCE(MAX(id), 0) FROM events)"
                      " FROM event_id_merge WHERE singleton = 1");
  w.executeStep();
  const int64_t watermark = w.getColumn(0).getInt64();
  levels->Load(EventIdLevels::State{w.getColumn(1).getInt(), w.getColumn(2).getInt64(),
                                    w.getColumn(3).getInt64()});
  // Past every stored row and the watermark: rows above the watermark are then exactly those
  // stored after it.
  const int64_t last_row = std::max(watermark, w.getColumn(4).getInt64());
  recent->Reset(last_row + 1);
  std::string key;
  // Every event above the watermark, including those whose ids a generation that did not finish
  // merging put into the index already: asking the index about each would cost a random probe
  // per id, which grows with the index, where reading these rows does not. Merging such an id
  // again is harmless (INSERT OR IGNORE below).
  SQLite::Statement q(conn->db(),
                      "SELECT id, project, event_id FROM events WHERE id > ? ORDER BY id");
  q.bind(1, watermark);
  while (q.executeStep()) {
    RecentEventIds::EncodeKey(q.getColumn(1).getInt64(), ColumnBytes(q.getColumn(2)), &key);
    recent->Load(key, q.getColumn(0).getInt64());
  }
  recent->MaybeFreeze();
  // Rows are numbered from 1 and never reused: no more events than that are stored.
  return static_cast<size_t>(last_row);
}

namespace {

// Writes the next slice of the frozen generation into the current part of the small level.
void MergeGeneration(Connection* conn, RecentEventIds* recent, EventIdLevels* levels) {
  const RecentEventIds::Slice slice = recent->TakeMergeSlice();
  if (slice.begin == slice.end) return;
  // OR IGNORE: ids read back on open may be in the index already (their generation was partly
  // merged), and failing here would stop every later merge.
  auto& plain = conn->Prepare(
      "INSERT OR IGNORE INTO event_ids_recent(part, project, event_id) VALUES (?4, ?1, ?2)");
  // For an id remembered before events were deleted: only while its event is still stored.
  auto& checked = conn->Prepare(
      "INSERT OR IGNORE INTO event_ids_recent(part, project, event_id) SELECT ?4, ?1, ?2"
      " WHERE EXISTS (SELECT 1 FROM events WHERE id = ?3 AND project = ?1 AND event_id = ?2)");
  std::string id;  // bound without a copy: it outlives each statement's run
  int64_t added = 0;
  for (const RecentEventIds::MergeItem* e = slice.begin; e != slice.end; ++e) {
    const std::string_view key = slice.set->key(e->index);
    const int64_t row = slice.set->row(e->index);
    const bool unsure = recent->RowUnsure(row);
    SQLite::Statement& q = unsure ? checked : plain;
    q.reset();
    q.bind(1, RecentEventIds::KeyProject(key));
    id.assign(RecentEventIds::KeyEventId(key));
    q.bindNoCopy(2, id);
    if (unsure) q.bind(3, row);
    q.bind(4, levels->current_part());
    added += q.exec();
  }
  levels->Merged(added);
  if (slice.completes) {
    Exec(conn, "UPDATE event_id_merge SET merged_through = ? WHERE singleton = 1", slice.watermark);
  }
}

// Moves the next key range of the sealed part into the large level. A moved id leaves the small
// level in the same transaction, so a reader of both levels finds it in one of them.
void MoveSealed(Connection* conn, EventIdLevels* levels, size_t group_ids) {
  const size_t budget = levels->MoveBudget(group_ids);
  if (budget == 0) return;
  auto& take = conn->Prepare(
      "SELECT project, event_id FROM event_ids_recent WHERE part = ?1"
      " ORDER BY project, event_id LIMIT ?2");
  auto& put = conn->Prepare("INSERT OR IGNORE INTO event_ids(project, event_id) VALUES (?, ?)");
  take.bind(1, levels->sealed_part());
  take.bind(2, static_cast<int64_t>(budget));
  int64_t moved = 0, last_project = 0;
  std::string last_id;
  while (take.executeStep()) {
    last_project = take.getColumn(0).getInt64();
    last_id.assign(ColumnBytes(take.getColumn(1)));
    put.reset();
    put.bind(1, last_project);
    put.bindNoCopy(2, last_id);
    put.exec();
    ++moved;
  }
  take.reset();
  if (moved > 0) {
    Exec(conn, "DELETE FROM event_ids_recent WHERE part = ?1 AND (project, event_id) <= (?2, ?3)",
         levels->sealed_part(), last_project, last_id);
  }
  levels->Moved(moved, moved < static_cast<int64_t>(budget));
}

}  // namespace

void MergeEventIds(Connection* conn, RecentEventIds* recent, EventIdLevels* levels,
                   size_t group_ids) {
  levels->MaybeSeal();
  MergeGeneration(conn, recent, levels);
  MoveSealed(conn, levels, group_ids);
  if (!levels->changed()) return;
  const EventIdLevels::State& s = levels->pending();
  Exec(conn,
       "UPDATE event_id_merge SET current_part = ?, current_ids = ?, sealed_ids = ?"
       " WHERE singleton = 1",
       s.current_part, s.current_ids, s.sealed_ids);
}

bool EventIdStored(Connection* conn, RecentEventIds* recent, int64_t project,
                   const std::string& event_id, std::string* key, uint64_t* hash) {
  RecentEventIds::EncodeKey(project, event_id, key);
  *hash = RecentEventIds::Hash(*key);
  if (!recent->MaybeStored(*hash)) return false;
  if (const int64_t row = recent->Find(*key, *hash); row != 0) {
    if (!recent->RowUnsure(row)) return true;
    // Events were deleted since this id was remembered: is its event still there? If not, the
    // index does not hold the id either (deleting an event deletes its index entry).
    auto& q = conn->Prepare("SELECT 1 FROM events WHERE id = ? AND project = ? AND event_id = ?");
    q.bind(1, row);
    q.bind(2, project);
    q.bindNoCopy(3, event_id);
    const bool stored = q.executeStep();
    q.reset();
    return stored;
  }
  // The small level first: a re-sent id is more often a recent one.
  auto& recent_level = conn->Prepare(
      "SELECT 1 FROM event_ids_recent WHERE part IN (0, 1) AND project = ? AND event_id = ?");
  auto& large_level = conn->Prepare("SELECT 1 FROM event_ids WHERE project = ? AND event_id = ?");
  for (SQLite::Statement* q : {&recent_level, &large_level}) {
    q->bind(1, project);
    q->bindNoCopy(2, event_id);
    const bool stored = q->executeStep();
    q->reset();
    if (stored) return true;
  }
  return false;
}

}  // namespace vigil
