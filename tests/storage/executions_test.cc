// Executions: the merge rule on write, quota accounting, filtered lists, details, retention.
#include "storage/executions.h"

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "domain/time_util.h"
#include "storage/detection.h"
#include "storage/events.h"
#include "tests/storage/old_schema.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::MakeFinding;
using vigil::testing::TempStore;

namespace {

ExecutionPatch Patch(const std::string& id, std::optional<ExecutionStatus> status = std::nullopt,
                     int64_t started_at_ms = 0) {
  ExecutionPatch p;
  p.execution_id = id;
  p.status = status;
  p.started_at_ms = started_at_ms;
  return p;
}

UpsertResult Upsert(TempStore& t, int64_t project, const ExecutionPatch& p, int64_t now_ms = 100) {
  return t.Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, project, p, now_ms); });
}

std::vector<std::string> Ids(TempStore& t, int64_t project, const ExecutionFilter& f) {
  std::vector<std::string> ids;
  for (const Execution& e :
       t.Read([&](Txn& txn) { return storage::ListExecutions(txn, project, f); })) {
    ids.push_back(e.execution_id);
  }
  return ids;
}

}  // namespace

TEST_CASE("UpsertExecution creates, then merges, and every write bumps the revision") {
  TempStore t;
  ExecutionPatch p = Patch("e1", ExecutionStatus::kStarted, 50);
  p.sdk_language = "python";
  UpsertResult first = Upsert(t, t.a, p);
  CHECK(first.created);
  CHECK(first.status == ExecutionStatus::kStarted);
  CHECK(first.execution.started_at_ms == 50);
  const auto r1 = t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, t.a, "e1"); });
  REQUIRE(r1.has_value());

  ExecutionPatch done = Patch("e1", ExecutionStatus::kCompleted);
  done.total_tokens_in = 7;
  UpsertResult second = Upsert(t, t.a, done, 200);
  CHECK_FALSE(second.created);
  CHECK(second.status == ExecutionStatus::kCompleted);
  CHECK(second.execution.ended_at_ms == 200);        // the server's clock, once
  CHECK(second.execution.sdk_language == "python");  // kept: not sent again
  CHECK(second.execution.total_tokens_in == 7);
  // `started` never replaces a terminal status.
  CHECK(Upsert(t, t.a, Patch("e1", ExecutionStatus::kStarted), 300).status ==
        ExecutionStatus::kCompleted);
  const auto r2 = t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, t.a, "e1"); });
  CHECK(r2->revision == r1->revision + 2);
  CHECK(r2->execution.ended_at_ms == 200);
}

TEST_CASE("Creating an execution counts once against the quota, by whichever path creates it") {
  TempStore t;
  Upsert(t, t.a, Patch("e1", ExecutionStatus::kStarted, 10));
  Upsert(t, t.a, Patch("e1", ExecutionStatus::kCompleted));  // an update: not counted
  t.Ingest(t.a, {MakeEvent("ev-1", "e1", 1), MakeEvent("ev-2", "e2", 1)}, 100);
  auto pa = t.Read([&](Txn& txn) { return storage::GetAdminProjectById(txn, t.a); });
  CHECK(pa->executions_this_period == 2);  // e1 by upsert, e2 by its events
  CHECK(t.Read([&](Txn& txn) {
           return storage::GetAdminProjectById(txn, t.b);
         })->executions_this_period == 0);
}

TEST_CASE("Tenant reads never see another project's rows") {
  TempStore t;
  t.Ingest(t.b, {MakeEvent("x", "shared", 1)});
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "shared", 10); }));
  CHECK(Ids(t, t.a, ExecutionFilter{}).empty());
  // The same execution id in project a is a separate execution.
  CHECK(Upsert(t, t.a, Patch("shared", ExecutionStatus::kCompleted)).created);
  auto b = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.b, "shared", 10); });
  REQUIRE(b.has_value());
  CHECK(b->execution.status == ExecutionStatus::kStarted);
  CHECK(b->events_total == 1);
}

TEST_CASE("ListExecutions combines its filters and pages newest first") {
  TempStore t;
  for (int i = 1; i <= 5; ++i) {
    ExecutionPatch p =
        Patch("e" + std::to_string(i),
              i % 2 ? ExecutionStatus::kCompleted : ExecutionStatus::kCrashed, i * 100);
    p.sdk_language = i <= 3 ? "python" : "typescript";
    if (i >= 4) p.parent_execution_id = "e1";
    Upsert(t, t.a, p);
  }
  CHECK(Ids(t, t.a, ExecutionFilter{}) == std::vector<std::string>{"e5", "e4", "e3", "e2", "e1"});
  ExecutionFilter f;
  f.status = ExecutionStatus::kCompleted;
  CHECK(Ids(t, t.a, f) == std::vector<std::string>{"e5", "e3", "e1"});
  f.sdk_language = "python";
  CHECK(Ids(t, t.a, f) == std::vector<std::string>{"e3", "e1"});
  ExecutionFilter range;
  range.started_after_ms = 200;   // inclusive
  range.started_before_ms = 400;  // exclusive
  CHECK(Ids(t, t.a, range) == std::vector<std::string>{"e3", "e2"});
  ExecutionFilter children;
  children.parent_execution_id = "e1";
  CHECK(Ids(t, t.a, children) == std::vector<std::string>{"e5", "e4"});
  ExecutionFilter page;
  page.limit = 2;
  page.offset = 2;
  CHECK(Ids(t, t.a, page) == std::vector<std::string>{"e3", "e2"});
}

TEST_CASE("ListExecutions by failure group finds the executions holding a finding in it") {
  TempStore t;
  for (const char* id : {"e1", "e2", "e3"})
    Upsert(t, t.a, Patch(id, ExecutionStatus::kCrashed, 10));
  t.AddFinding(t.a, t.RowOf(t.a, "e2"), "e2", MakeFinding("crash", "grp-1"));
  ExecutionFilter g;
  g.failure_group_id = "grp-1";
  CHECK(Ids(t, t.a, g) == std::vector<std::string>{"e2"});
  CHECK(Ids(t, t.b, g).empty());
}

TEST_CASE("GetExecution returns the first events, the total and the llm_call token sums") {
  TempStore t;
  std::vector<Event> batch;
  for (int i = 3; i >= 1; --i) {
    Event e = MakeEvent("ev" + std::to_string(i), "e1", i, 1000 + i, "llm_call");
    e.payload_json = "{\"input_tokens\":" + std::to_string(i) + ",\"output_tokens\":10}";
    batch.push_back(e);
  }
  t.Ingest(t.a, batch);
  auto d = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "e1", 2); });
  REQUIRE(d.has_value());
  CHECK(d->events_total == 3);
  REQUIRE(d->events.size() == 2);
  CHECK(d->events[0].event_id == "ev1");  // by sequence
  CHECK(d->events[0].execution_id == "e1");
  CHECK(d->llm_tokens_in == 6);
  CHECK(d->llm_tokens_out == 30);
  CHECK(d->execution.started_at_ms == 1001);
}

TEST_CASE("GetExecution returns the payload of the latest exception event, none without one") {
  TempStore t;
  t.NewExecution(t.a, "plain");
  auto none = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "plain", 10); });
  REQUIRE(none.has_value());
  CHECK(none->exception_payload.empty());
  Event early = MakeEvent("x1", "e1", 2, 1000, "exception");
  early.payload_json = R"({"exception_type":"Early"})";
  Event late = MakeEvent("x2", "e1", 7, 1000, "exception");
  late.payload_json = R"({"exception_type":"Late"})";
  t.Ingest(t.a, {late, MakeEvent("s", "e1", 9), early});
  auto d = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "e1", 10); });
  REQUIRE(d.has_value());
  CHECK(d->exception_payload == R"({"exception_type":"Late"})");
  // Another project's execution of the same id is not read.
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.b, "e1", 10); }));
}

TEST_CASE("UpsertExecution stores and returns the build identity and halt reason") {
  TempStore t;
  ExecutionPatch p = Patch("e1");
  p.code_version = "v9";
  p.container_digest = "sha256:ab";
  Upsert(t, t.a, p);
  ExecutionPatch end = Patch("e1", ExecutionStatus::kHalted);
  end.halt_reason = "over budget";
  Upsert(t, t.a, end);
  auto d = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "e1", 0); });
  REQUIRE(d.has_value());
  CHECK(d->execution.code_version == "v9");
  CHECK(d->execution.container_digest == "sha256:ab");
  CHECK(d->execution.halt_reason == "over budget");
}

TEST_CASE("PruneExecutions deletes the project's old executions in batches, with their events") {
  TempStore t;
  // Received at 10 (the server's clock), whatever their own timestamps say.
  for (int i = 1; i <= 3; ++i) {
    ExecutionPatch p = Patch("old" + std::to_string(i), ExecutionStatus::kCompleted, 5000);
    p.ended_at_ms = 6000;
    Upsert(t, t.a, p, 10);
    Upsert(t, t.b, p, 10);
  }
  Upsert(t, t.a, Patch("running", ExecutionStatus::kStarted, 5000), 10);
  Upsert(t, t.a, Patch("new", ExecutionStatus::kStarted, 10), 5000);
  t.Ingest(t.a, {MakeEvent("ev", "old1", 1, 6000)}, 20);
  CHECK(t.Write([&](WriteTxn& txn) { return storage::PruneExecutions(txn, t.a, 1000, 3); }) == 3);
  CHECK(t.Write([&](WriteTxn& txn) { return storage::PruneExecutions(txn, t.a, 1000, 3); }) == 1);
  CHECK(t.Write([&](WriteTxn& txn) { return storage::PruneExecutions(txn, t.a, 1000, 3); }) == 0);
  CHECK(Ids(t, t.a, ExecutionFilter{}) == std::vector<std::string>{"new"});
  CHECK(Ids(t, t.b, ExecutionFilter{}).size() == 3);
  // The pruned event's id may be stored again.
  auto again = t.Write([&](WriteTxn& txn) {
    return storage::IngestEvents(txn, t.a, {MakeEvent("ev", "old1", 1, 10)}, 1);
  });
  CHECK(again.accepted == 1);
}

TEST_CASE("PruneExecutions keeps what the server received lately, whatever the client's clock") {
  TempStore t;
  // A client clock far in the past: started, ended and its events all "long ago".
  ExecutionPatch skewed = Patch("skewed", ExecutionStatus::kCompleted, 1);
  skewed.ended_at_ms = 2;
  Upsert(t, t.a, skewed, 5000);
  t.Ingest(t.a, {MakeEvent("skewed-ev", "skewed", 1, 1)}, 5000);
  // Received long ago, but written to since: kept by its last receipt, by either kind of write.
  Upsert(t, t.a, Patch("patched-lately", ExecutionStatus::kStarted, 5000), 10);
  Upsert(t, t.a, Patch("patched-lately", ExecutionStatus::kCompleted), 4000);
  t.Ingest(t.a, {MakeEvent("early-ev", "events-lately", 1, 5000)}, 10);
  t.Ingest(t.a, {MakeEvent("late-ev", "events-lately", 2, 5000)}, 4000);
  // A client clock in the future does not keep an execution received long ago.
  Upsert(t, t.a, Patch("future", ExecutionStatus::kStarted, 9'000'000'000'000), 10);
  // A re-sent event stores nothing, so it is no new receipt.
  t.Ingest(t.a, {MakeEvent("dup-ev", "resent", 1, 5000)}, 10);
  t.Ingest(t.a, {MakeEvent("dup-ev", "resent", 1, 5000)}, 4000);
  CHECK(t.Write([&](WriteTxn& txn) { return storage::PruneExecutions(txn, t.a, 1000, 100); }) == 2);
  CHECK(Ids(t, t.a, ExecutionFilter{}) ==
        std::vector<std::string>{"events-lately", "patched-lately", "skewed"});
}

TEST_CASE("Executions stored before receive times count as received at the migration") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vigil-received-at-migrate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "old.db").string();
  {
    // A database as migrations 1-11 left it, with an execution whose client clock says 1970.
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    vigil::testing::ApplyMigrationsUpTo(db, 11);
    db.exec("INSERT INTO projects(id, project_id, name, created_at) VALUES (1, 'p', 'P', 0)");
    db.exec(
        "INSERT INTO executions(id, project, execution_id, status, started_at, ended_at)"
        " VALUES (1, 1, 'e1', 'completed', 1, 2)");
  }
  const int64_t before = NowMs();
  {
    StoreOptions o;
    o.path = path;
    auto s = Store::Open(o);
    REQUIRE(s.ok());
    // Kept by a window that ended just before the upgrade, though its own times say 1970.
    auto pruned = s.value()->WriteValue(
        [&](WriteTxn& txn) { return storage::PruneExecutions(txn, 1, before - 1000, 100); });
    CHECK(pruned.value() == 0);
  }
  const int64_t after = NowMs();
  {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT received_at, last_received_at FROM executions WHERE id = 1");
    REQUIRE(q.executeStep());
    // SQLite's clock, converted from a Julian day, may round one millisecond down.
    CHECK(q.getColumn(0).getInt64() >= before - 1);
    CHECK(q.getColumn(0).getInt64() <= after);
    CHECK(q.getColumn(1).getInt64() == q.getColumn(0).getInt64());
  }
  std::filesystem::remove_all(dir);
}
