// Moving stored events between executions of a project (storage/events.h MoveEvents).
#include <doctest/doctest.h>

#include "storage/events.h"
#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

TEST_CASE("MoveEvents moves events between running executions and keeps their ids") {
  TempStore t;
  t.Write([&](WriteTxn& txn) {
    return storage::IngestEvents(
        txn, t.a,
        {MakeEvent("x", "main", 10), MakeEvent("y", "main", 20), MakeEvent("z", "main", 30)}, 1);
  });
  const std::vector<storage::EventMove> moves = {{"x", 10, "main", "kid"},
                                                 {"y", 20, "main", "kid"},
                                                 {"y", 20, "elsewhere", "kid"},
                                                 {"nothing", 5, "main", "kid"}};
  CHECK(t.Write([&](WriteTxn& txn) { return storage::MoveEvents(txn, t.a, moves, 2); }) == 2);
  // The other project's executions of the same ids are not touched.
  CHECK(t.Write([&](WriteTxn& txn) { return storage::MoveEvents(txn, t.b, moves, 2); }) == 0);
  auto kid = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "kid", 100); });
  REQUIRE(kid.has_value());
  CHECK(kid->execution.status == ExecutionStatus::kStarted);
  CHECK(kid->execution.started_at_ms == 0);  // the earliest sequence, 10 us, in milliseconds
  CHECK(kid->events_total == 2);
  REQUIRE(kid->events.size() == 2);
  CHECK(kid->events[0].event_id == "x");
  auto main = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "main", 100); });
  REQUIRE(main.has_value());
  CHECK(main->events_total == 1);
  CHECK(main->events[0].event_id == "z");
  // A re-sent event is still a duplicate wherever it went.
  const IngestResult again = t.Write([&](WriteTxn& txn) {
    return storage::IngestEvents(txn, t.a, {MakeEvent("x", "main", 10)}, 3);
  });
  CHECK(again.duplicates == 1);
}

TEST_CASE("MoveEvents leaves the events of a terminal execution where they are") {
  TempStore t;
  t.Write([&](WriteTxn& txn) {
    return storage::IngestEvents(txn, t.a, {MakeEvent("x", "main", 10)}, 1);
  });
  ExecutionPatch done;
  done.execution_id = "main";
  done.status = ExecutionStatus::kCompleted;
  t.Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, t.a, done, 2); });
  CHECK(t.Write([&](WriteTxn& txn) {
    return storage::MoveEvents(txn, t.a, {{"x", 10, "main", "kid"}}, 3);
  }) == 0);
  auto main = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "main", 100); });
  REQUIRE(main.has_value());
  CHECK(main->events_total == 1);
}
