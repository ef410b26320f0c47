// Events: batched ingestion, per-project event-id uniqueness, pages on read. (The id index behind
// uniqueness has its own tests in event_id_index_test.cc.)
#include "storage/events.h"

#include <doctest/doctest.h>

#include "storage/detection.h"
#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

TEST_CASE("IngestEvents counts duplicates and creates missing executions") {
  TempStore t;
  std::vector<Event> batch = {MakeEvent("a", "e1", 2, 2000), MakeEvent("b", "e1", 1, 1500),
                              MakeEvent("a", "e1", 3, 900)};
  CHECK(RemoveRepeatedEventIds(&batch) == 1);  // the in-batch repeat, as the handler does
  REQUIRE(batch.size() == 2);
  auto ingest = [&] {
    return t.Write([&](WriteTxn& txn) { return storage::IngestEvents(txn, t.a, batch, 9999); });
  };
  const IngestResult r1 = ingest();
  CHECK(r1.accepted == 2);
  CHECK(r1.duplicates == 0);
  CHECK(r1.created_executions == 1);
  const IngestResult r2 = ingest();
  CHECK(r2.accepted == 0);
  CHECK(r2.duplicates == 2);
  CHECK(r2.created_executions == 0);
  CHECK(r2.inserted == std::vector<bool>{false, false});
  auto d = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "e1", 100); });
  REQUIRE(d.has_value());
  CHECK(d->execution.started_at_ms == 1500);  // the in-batch duplicate (ts 900) creates nothing
  CHECK(d->execution.status == ExecutionStatus::kStarted);
  CHECK(d->events_total == 2);
  CHECK(d->events[0].event_id == "b");  // by sequence
}

TEST_CASE("Event ids are unique per project, not across projects") {
  TempStore t;
  auto ingest = [&](int64_t project, const std::string& exec) {
    return t.Write([&](WriteTxn& txn) {
      return storage::IngestEvents(txn, project, {MakeEvent("same-id", exec, 1)}, 1);
    });
  };
  CHECK(ingest(t.a, "e1").accepted == 1);
  CHECK(ingest(t.b, "e1").accepted == 1);  // another project may store the same id
  const IngestResult other_exec = ingest(t.a, "e2");
  CHECK(other_exec.accepted == 0);  // the id is the project's, whichever execution names it
  CHECK(other_exec.duplicates == 1);
  REQUIRE(other_exec.touched.size() == 1);
  CHECK(other_exec.touched[0].execution_id == "e2");  // created all the same, with no events
  CHECK(other_exec.touched[0].inserted == 0);
}

TEST_CASE("IngestEvents reports every execution the batch names, in order of first appearance") {
  TempStore t;
  ExecutionPatch done;
  done.execution_id = "done";
  done.status = ExecutionStatus::kCompleted;
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, t.a, done, 5); }).created);
  const IngestResult r = t.Write([&](WriteTxn& txn) {
    return storage::IngestEvents(txn, t.a,
                                 {MakeEvent("1", "new", 1), MakeEvent("2", "done", 1),
                                  MakeEvent("3", "new", 2), MakeEvent("4", "new", 3)},
                                 10);
  });
  REQUIRE(r.touched.size() == 2);
  CHECK(r.touched[0].execution_id == "new");
  CHECK_FALSE(r.touched[0].terminal);
  CHECK(r.touched[0].inserted == 3);
  CHECK(r.touched[1].execution_id == "done");
  CHECK(r.touched[1].terminal);
  CHECK(r.touched[1].inserted == 1);
  CHECK(r.inserted == std::vector<bool>{true, true, true, true});
  CHECK(r.created_executions == 1);
  // Each execution's revision moved with its events.
  auto rev = t.Read([&](Txn& txn) { return storage::Revision(txn, t.a, r.touched[1].row_id); });
  CHECK(rev == std::optional<int64_t>(1));
}

TEST_CASE("ListEvents pages by sequence with the total; another project's execution is missing") {
  TempStore t;
  std::vector<Event> batch;
  for (int i = 5; i >= 1; --i) batch.push_back(MakeEvent("ev" + std::to_string(i), "e1", i));
  t.Ingest(t.a, batch);
  int64_t total = 0;
  auto page = t.Read([&](Txn& txn) { return storage::ListEvents(txn, t.a, "e1", 2, 1, &total); });
  REQUIRE(page.has_value());
  CHECK(total == 5);
  REQUIRE(page->size() == 2);
  CHECK((*page)[0].event_id == "ev2");
  CHECK((*page)[1].event_id == "ev3");
  CHECK((*page)[1].execution_id == "e1");
  int64_t untouched = -1;
  CHECK_FALSE(
      t.Read([&](Txn& txn) { return storage::ListEvents(txn, t.b, "e1", 2, 0, &untouched); }));
  CHECK(untouched == -1);
}

TEST_CASE("IngestEvents records the models of llm_call events for the drift history") {
  TempStore t;
  auto llm = [](const std::string& id, const std::string& exec, const std::string& model,
                int64_t ts) {
    Event e = MakeEvent(id, exec, 1, ts, "llm_call");
    e.fields.model = model;
    return e;
  };
  t.Ingest(t.a, {llm("1", "e1", "m-old", 100), llm("2", "e2", "m-new", 200)});
  t.Ingest(t.b, {llm("1", "e9", "m-other", 150)});
  const int64_t e2 = t.RowOf(t.a, "e2");
  auto models = t.Read([&](Txn& txn) { return storage::HistoryModels(txn, t.a, e2, 0, 1000); });
  CHECK(models == std::vector<std::string>{"m-old"});  // not e2's own, not project b's
  CHECK(t.Read([&](Txn& txn) { return storage::HistoryModels(txn, t.a, e2, 101, 1000); }).empty());
}
