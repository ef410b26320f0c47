// Per-project event-id uniqueness through the whole store: the remembered ids, the merges into
// the `event_ids` index, reopening, deletes and the migration from the old UNIQUE constraint.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_id_filter_build.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "storage/migrations.h"
#include "storage/projects.h"
#include "storage/recent_event_ids.h"
#include "storage/store.h"
#include "tests/storage/old_schema.h"

using namespace vigil;

namespace {

// Every id in either level of the index.
const std::string kIndexed =
    "(SELECT project, event_id FROM event_ids UNION ALL"
    " SELECT project, event_id FROM event_ids_recent)";

// A store with tiny generations and tiny parts of the index's small level, so a few small batches
// freeze and merge several generations, and seal and move several parts.
struct SmallStore {
  std::filesystem::path dir;
  std::string path;
  std::unique_ptr<Store> store;
  int64_t project = 0;
  explicit SmallStore(size_t generation = 8, size_t part = 16) {
    dir = std::filesystem::temp_directory_path() /
          ("vigil-event-ids-" + std::to_string(::getpid()) + "-" +
           std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir);
    path = (dir / "t.db").string();
    Open(generation, part);
    REQUIRE(store
                ->Write([&](WriteTxn& txn) {
                  project = storage::EnsureProject(txn, "p", "P", Tier::kHobby, 1).value();
                  return Status::Ok();
                })
                .ok());
  }
  void Open(size_t generation = 8, size_t part = 16) {
    StoreOptions o;
    o.path = path;
    o.event_id_generation = generation;
    o.event_id_part = part;
    o.event_id_filter_bytes = 4096;
    auto s = Store::Open(o);
    REQUIRE(s.ok());
    store = std::move(s.value());
  }
  ~SmallStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  // Ingests `ids` (one execution) in one job; returns {accepted, duplicates}.
  std::pair<int64_t, int64_t> Ingest(const std::vector<std::string>& ids,
                                     const std::string& exec = "e1") {
    std::vector<Event> batch;
    for (const std::string& id : ids) {
      Event e;
      e.event_id = id;
      e.execution_id = exec;
      e.event_type = "step";
      e.timestamp_ms = 1000;
      e.payload_json = "{}";
      batch.push_back(e);
    }
    IngestResult r;
    REQUIRE(store
                ->Write([&](WriteTxn& txn) {
                  auto res = storage::IngestEvents(txn, project, batch, 2000);
                  if (!res.ok()) return res.status();
                  r = res.value();
                  return Status::Ok();
                })
                .ok());
    return {r.accepted, r.duplicates};
  }
  int64_t Count(const std::string& sql) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, sql);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getInt64();
  }
};

std::vector<std::string> ScrambledIds(const std::string& prefix, int n) {
  std::vector<std::string> ids;
  // Scrambled, like the SDKs' random ids.
  for (int i = 0; i < n; ++i) ids.push_back(prefix + std::to_string((i * 37) % n));
  return ids;
}

}  // namespace

TEST_CASE("A re-sent event is a duplicate whether its id is remembered, merging or merged") {
  SmallStore t;
  std::vector<std::string> all;
  for (int b = 0; b < 10; ++b) {
    const auto ids = ScrambledIds("b" + std::to_string(b) + "-", 5);
    CHECK(t.Ingest(ids) == std::make_pair<int64_t, int64_t>(5, 0));
    all.insert(all.end(), ids.begin(), ids.end());
    // After every batch, every id stored so far, wherever it lives now, is a duplicate.
    CHECK(t.Ingest(all) == std::make_pair<int64_t, int64_t>(0, static_cast<int64_t>(all.size())));
  }
  CHECK(t.Count("SELECT COUNT(*) FROM events") == 50);
  CHECK(t.Count("SELECT COUNT(*) - COUNT(DISTINCT event_id) FROM events") == 0);
  // Most ids have been merged, some of them on into the large level; none is in the index twice
  // or without its event.
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed) > 20);
  CHECK(t.Count("SELECT COUNT(*) FROM event_ids") > 0);
  CHECK(t.Count("SELECT COUNT(*) - COUNT(DISTINCT event_id) FROM " + kIndexed) == 0);
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed +
                " i WHERE NOT EXISTS (SELECT 1 FROM events e"
                " WHERE e.project = i.project AND e.event_id = i.event_id)") == 0);
}

TEST_CASE("Full parts of the small level move into the large level, across restarts too") {
  SmallStore t(8, 16);
  std::vector<std::string> all;
  for (int b = 0; b < 40; ++b) {
    const auto ids = ScrambledIds("m" + std::to_string(b) + "-", 6);
    CHECK(t.Ingest(ids).first == 6);
    all.insert(all.end(), ids.begin(), ids.end());
    if (b % 10 == 9) {  // the levels' state is read back on open
      t.store.reset();
      t.Open(8, 16);
    }
  }
  // Most ids reached the large level; the small one holds about two parts at most.
  CHECK(t.Count("SELECT COUNT(*) FROM event_ids") > 150);
  CHECK(t.Count("SELECT COUNT(*) FROM event_ids_recent") <= 2 * 16 + 8 + 6);
  CHECK(t.Count("SELECT COUNT(*) - COUNT(DISTINCT event_id) FROM " + kIndexed) == 0);
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed +
                " i WHERE NOT EXISTS (SELECT 1 FROM events e"
                " WHERE e.project = i.project AND e.event_id = i.event_id)") == 0);
  // Every stored id is a duplicate, wherever it lives, and a new one is not.
  CHECK(t.Ingest(all).second == static_cast<int64_t>(all.size()));
  CHECK(t.Ingest({"m-new"}).first == 1);
}

TEST_CASE("Event ids are unique per project, not across projects") {
  SmallStore t;
  int64_t other = 0;
  REQUIRE(t.store
              ->Write([&](WriteTxn& txn) {
                other = storage::EnsureProject(txn, "q", "Q", Tier::kHobby, 1).value();
                return Status::Ok();
              })
              .ok());
  CHECK(t.Ingest(ScrambledIds("x", 20)).first == 20);
  Event e;
  e.event_id = "x3";
  e.execution_id = "e1";
  e.event_type = "step";
  e.payload_json = "{}";
  IngestResult r;
  REQUIRE(t.store
              ->Write([&](WriteTxn& txn) {
                r = storage::IngestEvents(txn, other, {e}, 1).value();
                return Status::Ok();
              })
              .ok());
  CHECK(r.accepted == 1);
}

TEST_CASE("Reopening the store remembers the ids that were not merged yet") {
  SmallStore t(1000);  // one generation never fills: nothing is merged before the restart
  CHECK(t.Ingest(ScrambledIds("r", 30)).first == 30);
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed) == 0);
  t.store.reset();
  t.Open(1000);
  CHECK(t.Ingest(ScrambledIds("r", 30)).second == 30);
  CHECK(t.Ingest({"r-new"}).first == 1);

  // And with small generations, part merged, part not, across a restart.
  t.store.reset();
  t.Open(8);
  CHECK(t.Ingest(ScrambledIds("s", 13)).first == 13);
  t.store.reset();
  t.Open(8);
  CHECK(t.Ingest(ScrambledIds("s", 13)).second == 13);
  CHECK(t.Ingest(ScrambledIds("r", 30)).second == 30);
  CHECK(t.Count("SELECT COUNT(*) FROM events") == 44);
}

TEST_CASE("After a restart stored ids are duplicates before and after the filter is rebuilt") {
  SmallStore t(8);
  const std::vector<std::string> ids = ScrambledIds("f", 200);
  CHECK(t.Ingest(ids).first == 200);
  t.store.reset();
  t.Open(8);
  // The first write may well come before the filter is built: the index decides then.
  CHECK(t.Ingest(ids).second == 200);
  for (int i = 0; i < 500 && t.store->EventIdFilterBytes() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(t.store->EventIdFilterBytes() > 0);
  CHECK(t.Ingest(ids).second == 200);
  CHECK(t.Ingest({"f-new"}).first == 1);
  CHECK(t.store->EventIdFilterFailures() == 0);
}

TEST_CASE("The filter build reads every indexed id, chunk after chunk") {
  SmallStore t(8);
  // Batch after batch, so generation after generation is merged into the index.
  for (int b = 0; b < 20; ++b)
    CHECK(t.Ingest(ScrambledIds("c" + std::to_string(b) + "-", 5)).first == 5);
  const int64_t indexed = t.Count("SELECT COUNT(*) FROM " + kIndexed);
  REQUIRE(indexed > 50);
  REQUIRE(t.Count("SELECT COUNT(*) FROM event_ids") > 0);
  REQUIRE(t.Count("SELECT COUNT(*) FROM event_ids_recent") > 0);
  auto filter = std::make_shared<EventIdFilter>(1 << 16);
  EventIdFilterBuild build;
  build.Start(t.path, 1000, filter, 7);  // many short chunks
  CHECK(build.Join().ok());
  CHECK(build.ids_read() == indexed);
  SQLite::Database db(t.path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT project, event_id FROM " + kIndexed);
  int64_t missing = 0;
  std::string key;
  while (q.executeStep()) {
    RecentEventIds::EncodeKey(q.getColumn(0).getInt64(), q.getColumn(1).getString(), &key);
    missing += !filter->MayContain(RecentEventIds::Hash(key));
  }
  CHECK(missing == 0);
}

TEST_CASE("A filter build of a missing database fails, and says so") {
  auto filter = std::make_shared<EventIdFilter>(4096);
  EventIdFilterBuild build;
  build.Start("/nonexistent-dir/none.db", 100, filter);
  CHECK_FALSE(build.Join().ok());
}

TEST_CASE("A rolled-back job's event ids can be stored later") {
  SmallStore t;
  Event e;
  e.event_id = "lost";
  e.execution_id = "e1";
  e.event_type = "step";
  e.payload_json = "{}";
  Status s = t.store->Write([&](WriteTxn& txn) {
    auto r = storage::IngestEvents(txn, t.project, {e}, 1);
    REQUIRE(r.ok());
    CHECK(r.value().accepted == 1);
    return Status::InvalidArgument("fails after writing");
  });
  CHECK_FALSE(s.ok());
  CHECK(t.Ingest({"lost"}) == std::make_pair<int64_t, int64_t>(1, 0));
}

TEST_CASE("Events deleted by retention give up their ids, merged or not") {
  SmallStore t;
  // The first batch freezes a generation that the second batch's group merges; the second
  // batch's ids freeze next, not merged yet when the execution goes.
  CHECK(t.Ingest(ScrambledIds("old", 10), "old-exec").first == 10);
  CHECK(t.Ingest(ScrambledIds("older", 10), "old-exec").first == 10);
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed) == 10);
  int64_t pruned = 0;
  REQUIRE(t.store
              ->Write([&](WriteTxn& txn) {
                pruned = storage::PruneExecutions(txn, t.project, 5000, 100).value();
                return Status::Ok();
              })
              .ok());
  CHECK(pruned == 1);
  CHECK(t.Count("SELECT COUNT(*) FROM events") == 0);
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed) == 0);
  // Sent again, they are stored again (nothing of them is stored any more)...
  CHECK(t.Ingest(ScrambledIds("old", 10), "again").first == 10);
  CHECK(t.Ingest(ScrambledIds("older", 10), "again").first == 10);
  // ...and the merges that follow do not resurrect index entries for the deleted rows.
  for (int b = 0; b < 5; ++b) t.Ingest(ScrambledIds("more" + std::to_string(b) + "-", 8));
  CHECK(t.Count("SELECT COUNT(*) FROM " + kIndexed +
                " i WHERE NOT EXISTS (SELECT 1 FROM events e"
                " WHERE e.project = i.project AND e.event_id = i.event_id)") == 0);
  CHECK(t.Ingest(ScrambledIds("old", 10), "again").second == 10);
  CHECK(t.Ingest(ScrambledIds("older", 10), "again").second == 10);
}

TEST_CASE("The migration moves stored event ids into the index and keeps every event") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vigil-event-ids-migrate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "old.db").string();
  {
    // A database as the previous schema (migrations 1-8) left it, with events in it.
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys=ON");
    vigil::testing::ApplyMigrationsUpTo(db, 8);
    db.exec("INSERT INTO projects(id, project_id, name, created_at) VALUES (1, 'p', 'P', 0)");
    db.exec(
        "INSERT INTO executions(id, project, execution_id, status, started_at)"
        " VALUES (1, 1, 'e1', 'started', 0)");
    for (int i = 0; i < 40; ++i) {
      SQLite::Statement q(db,
                          "INSERT INTO events(project, execution, event_id, event_type, sequence,"
                          " timestamp, payload) VALUES (1, 1, ?, 'step', ?, 0, '{}')");
      q.bind(1, "m" + std::to_string(i));
      q.bind(2, i);
      q.exec();
    }
  }
  {
    StoreOptions o;
    o.path = path;
    auto s = Store::Open(o);
    REQUIRE(s.ok());
    Store& store = *s.value();
    Event e;
    e.execution_id = "e1";
    e.event_type = "step";
    e.payload_json = "{}";
    std::vector<Event> batch;
    for (const char* id : {"m0", "m39", "fresh"}) {
      e.event_id = id;
      batch.push_back(e);
    }
    IngestResult r;
    REQUIRE(store
                .Write([&](WriteTxn& txn) {
                  r = storage::IngestEvents(txn, 1, batch, 1).value();
                  return Status::Ok();
                })
                .ok());
    CHECK(r.accepted == 1);
    CHECK(r.duplicates == 2);
  }
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM events").getInt64() == 41);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM event_ids").getInt64() == 40);
  CHECK(db.execAndGet("SELECT merged_through FROM event_id_merge").getInt64() == 40);
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  std::filesystem::remove_all(dir);
}

TEST_CASE("Events deleted by another process (vigil prune beside the server) give up their ids") {
  SmallStore t(1000);  // nothing merged: the ids are only remembered
  CHECK(t.Ingest(ScrambledIds("x", 3), "pruned").first == 3);
  {
    StoreOptions o;
    o.path = t.path;
    auto cli = Store::Open(o);
    REQUIRE(cli.ok());
    int64_t pruned = 0;
    REQUIRE(cli.value()
                ->Write([&](WriteTxn& txn) {
                  pruned = storage::PruneExecutions(txn, t.project, 5000, 100).value();
                  return Status::Ok();
                })
                .ok());
    CHECK(pruned == 1);
  }
  CHECK(t.Ingest(ScrambledIds("x", 3), "again") == std::make_pair<int64_t, int64_t>(3, 0));
  CHECK(t.Ingest(ScrambledIds("x", 3), "again").second == 3);
  t.store.reset();
  t.Open(1000);
  CHECK(t.Ingest(ScrambledIds("x", 3), "again").second == 3);
  CHECK(t.Count("SELECT COUNT(*) FROM events") == 3);
}
