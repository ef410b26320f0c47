// The SQL side of per-project event-id uniqueness: the `event_ids` index, its merge watermark, and
// the lookups the writer makes before storing an event (storage/DESIGN.md, "Event ids decide the
// write cost").
#include <algorithm>
#include <string>

#include "storage/connection.h"
#include "storage/recent_event_ids.h"
#include "storage/sql.h"

namespace vigil {
namespace {

std::string_view ColumnBytes(const SQLite::Column& c) {
  return std::string_view(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

}  // namespace

size_t LoadRecentEventIds(Connection* conn, RecentEventIds* recent) {
  SQLite::Statement w(conn->db(),
                      "SELECT (SELECT merged_through FROM event_id_merge WHERE singleton = 1),"
                      " (SELECT COALESCE(MAX(id), 0) FROM events)");
  w.executeStep();
  const int64_t watermark = w.getColumn(0).getInt64();
  // Past every stored row and the watermark: rows above the watermark are then exactly those
  // stored after it.
  const int64_t last_row = std::max(watermark, w.getColumn(1).getInt64());
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

void MergeEventIds(Connection* conn, RecentEventIds* recent) {
  const RecentEventIds::Slice slice = recent->TakeMergeSlice();
  if (slice.begin == slice.end) return;
  // OR IGNORE: ids read back on open may be in the index already (their generation was partly
  // merged), and failing here would stop every later merge.
  auto& plain = conn->Prepare("INSERT OR IGNORE INTO event_ids(project, event_id) VALUES (?, ?)");
  // For an id remembered before events were deleted: only while its event is still stored.
  auto& checked = conn->Prepare(
      "INSERT OR IGNORE INTO event_ids(project, event_id) SELECT ?1, ?2 WHERE EXISTS"
      " (SELECT 1 FROM events WHERE id = ?3 AND project = ?1 AND event_id = ?2)");
  std::string id;  // bound without a copy: it outlives each statement's run
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
    q.exec();
  }
  if (slice.completes) {
    Exec(conn, "UPDATE event_id_merge SET merged_through = ? WHERE singleton = 1", slice.watermark);
  }
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
  auto& q = conn->Prepare("SELECT 1 FROM event_ids WHERE project = ? AND event_id = ?");
  q.bind(1, project);
  q.bindNoCopy(2, event_id);
  const bool stored = q.executeStep();
  q.reset();
  return stored;
}

}  // namespace vigil
