// The bookkeeping of the event-id index's two levels: when a part is sealed, how much a group
// moves, and that a rolled-back group leaves no trace.
#include "storage/event_id_levels.h"

#include <doctest/doctest.h>

using namespace vigil;

TEST_CASE("A full part is sealed only once the sealed part has moved") {
  EventIdLevels l(100);
  l.Merged(99);
  l.MaybeSeal();
  CHECK(l.current_part() == 0);
  l.Merged(1);
  l.MaybeSeal();
  CHECK(l.current_part() == 1);
  CHECK(l.sealed_part() == 0);
  CHECK(l.pending().sealed_ids == 100);
  CHECK(l.pending().current_ids == 0);
  // The new part fills before the sealed one has moved: it goes on taking ids.
  l.Merged(150);
  l.MaybeSeal();
  CHECK(l.current_part() == 1);
  l.Moved(100, true);
  l.MaybeSeal();
  CHECK(l.current_part() == 0);
  CHECK(l.pending().sealed_ids == 150);
}

TEST_CASE("Moves are paced by the group's ids, within bounds") {
  EventIdLevels l(1000000);
  CHECK(l.MoveBudget(500) == 0);  // nothing sealed
  l.Merged(1000000);
  l.MaybeSeal();
  // 1M sealed ids to move while the current part takes its first 800k ids and this group's 10k:
  // 1M * 10k / 810k, rounded up.
  CHECK(l.MoveBudget(10000) == 12346);
  // A quiet group still moves the minimum; a burst at most a few times its own ids.
  CHECK(l.MoveBudget(0) == EventIdLevels::kMinMove);
  l.Merged(799000);
  CHECK(l.MoveBudget(2000) == EventIdLevels::kMinMove + EventIdLevels::kMaxMovePerGroupId * 2000);
  // Never more than is left.
  l.Moved(999990, false);
  CHECK(l.MoveBudget(2000) == 10);
}

TEST_CASE("A rolled-back group's changes are forgotten, a committed group's kept") {
  EventIdLevels l(10);
  l.Load({1, 9, 0});
  CHECK_FALSE(l.changed());
  l.Merged(5);
  l.MaybeSeal();
  CHECK(l.changed());
  l.Forget();
  CHECK(l.pending() == EventIdLevels::State{1, 9, 0});
  l.Merged(5);
  l.MaybeSeal();
  l.Commit();
  CHECK_FALSE(l.changed());
  CHECK(l.committed() == EventIdLevels::State{0, 0, 14});
}
