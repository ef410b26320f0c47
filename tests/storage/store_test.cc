#include "storage/store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/connection.h"
#include "storage/database.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "storage/projects.h"

using namespace vigil;

namespace {

struct TempStore {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  int64_t project_a = 0, project_b = 0;
  TempStore() {
    dir = std::filesystem::temp_directory_path() /
          ("vigil-store-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir);
    StoreOptions o;
    o.path = (dir / "sub" / "t.db").string();
    auto s = Store::Open(o);
    REQUIRE(s.ok());
    store = std::move(s.value());
    REQUIRE(store
                ->Write([&](WriteTxn& txn) {
                  project_a = storage::EnsureProject(txn, "pa", "A", "hobby", 1).value();
                  project_b = storage::EnsureProject(txn, "pb", "B", "hobby", 1).value();
                  return Status::Ok();
                })
                .ok());
  }
  ~TempStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

Event Ev(const std::string& id, const std::string& exec, int64_t seq, int64_t ts = 1000) {
  Event e;
  e.event_id = id;
  e.execution_id = exec;
  e.event_type = "llm_call";
  e.sequence = seq;
  e.timestamp_ms = ts;
  e.payload_json = "{}";
  return e;
}

}  // namespace

TEST_CASE("Store::Open creates the directory and records migrations") {
  TempStore t;
  CHECK(std::filesystem::exists(t.dir / "sub" / "t.db"));
  CHECK(t.store->Read([](ReadTxn& txn) { return storage::Ping(txn); }).ok());
}

TEST_CASE("IngestEvents counts duplicates and creates missing executions") {
  TempStore t;
  std::vector<Event> batch = {Ev("a", "e1", 2, 2000), Ev("b", "e1", 1, 1500),
                              Ev("a", "e1", 3, 900)};
  CHECK(RemoveRepeatedEventIds(&batch) == 1);  // the in-batch repeat, as the handler does
  REQUIRE(batch.size() == 2);
  IngestResult r1, r2;
  REQUIRE(t.store
              ->Write([&](WriteTxn& txn) {
                r1 = storage::IngestEvents(txn, t.project_a, batch, 9999).value();
                return Status::Ok();
              })
              .ok());
  CHECK(r1.accepted == 2);
  CHECK(r1.duplicates == 0);
  REQUIRE(t.store
              ->Write([&](WriteTxn& txn) {
                r2 = storage::IngestEvents(txn, t.project_a, batch, 9999).value();
                return Status::Ok();
              })
              .ok());
  CHECK(r2.accepted == 0);
  CHECK(r2.duplicates == 2);
  std::optional<ExecutionDetail> d;
  REQUIRE(t.store
              ->Read([&](ReadTxn& txn) {
                d = storage::GetExecution(txn, t.project_a, "e1", 100).value();
                return Status::Ok();
              })
              .ok());
  REQUIRE(d.has_value());
  CHECK(d->execution.started_at_ms == 1500);  // the in-batch duplicate (ts 900) creates nothing
  CHECK(d->events_total == 2);
  CHECK(d->events[0].event_id == "b");  // by sequence
}

TEST_CASE("Tenant reads never see another project's rows") {
  TempStore t;
  REQUIRE(t.store
              ->Write([&](WriteTxn& txn) {
                return storage::IngestEvents(txn, t.project_b, {Ev("x", "shared", 1)}, 1).status();
              })
              .ok());
  std::optional<ExecutionDetail> d;
  std::vector<Execution> list;
  REQUIRE(t.store
              ->Read([&](ReadTxn& txn) {
                d = storage::GetExecution(txn, t.project_a, "shared", 10).value();
                list = storage::ListExecutions(txn, t.project_a, ExecutionFilter{}).value();
                return Status::Ok();
              })
              .ok());
  CHECK_FALSE(d.has_value());
  CHECK(list.empty());
}

TEST_CASE("A failing job in a group commit rolls back alone") {
  TempStore t;
  // Many concurrent jobs so some share a group; every other one fails after writing.
  std::vector<std::thread> threads;
  std::vector<Status> results(20);
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      results[i] = t.store->Write([&, i](WriteTxn& txn) {
        auto r =
            storage::IngestEvents(txn, t.project_a, {Ev("g" + std::to_string(i), "grp", i)}, 1);
        if (!r.ok()) return r.status();
        return i % 2 ? Status::InvalidArgument("rejected after writing") : Status::Ok();
      });
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 20; ++i) CHECK(results[i].ok() == (i % 2 == 0));
  int64_t total = 0;
  REQUIRE(t.store
              ->Read([&](ReadTxn& txn) {
                auto events = storage::ListEvents(txn, t.project_a, "grp", 100, 0, &total).value();
                REQUIRE(events.has_value());
                for (const Event& e : *events) CHECK(std::stoi(e.event_id.substr(1)) % 2 == 0);
                CHECK(events->size() == 10);
                return Status::Ok();
              })
              .ok());
  CHECK(total == 10);
}

TEST_CASE("A full write queue refuses with Unavailable instead of queueing without bound") {
  TempStore t;
  StoreOptions o;
  o.path = (t.dir / "q.db").string();
  o.write_queue_max = 1;
  auto s = Store::Open(o);
  REQUIRE(s.ok());
  Store& store = *s.value();
  std::atomic<bool> release{false};
  // The first job occupies the writer; the second fills the queue; the third is refused.
  std::thread slow([&] {
    store.Write([&](WriteTxn&) {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return Status::Ok();
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::thread queued([&] { store.Write([](WriteTxn&) { return Status::Ok(); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Status refused = store.Write([](WriteTxn&) { return Status::Ok(); });
  CHECK(refused.code() == Code::kOverloaded);
  CHECK(refused.message() == "server busy, retry later");
  release = true;
  slow.join();
  queued.join();
}

TEST_CASE("A cached statement whose last step failed does not throw that error at its next use") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vigil-conn-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ConnectionOptions o;
  o.path = (dir / "c.db").string();
  o.busy_timeout_ms = 0;
  {
    Connection a(o);
    Connection b(o);
    a.Exec("CREATE TABLE t(x INTEGER UNIQUE)");

    // A constraint failure, then an unrelated insert through the same cached statement.
    auto& ins = a.Prepare("INSERT INTO t VALUES (?)");
    ins.bind(1, 1);
    ins.exec();
    auto& again = a.Prepare("INSERT INTO t VALUES (?)");
    again.bind(1, 1);
    CHECK_THROWS(again.exec());
    auto& other = a.Prepare("INSERT INTO t VALUES (?)");
    other.bind(1, 2);
    CHECK(other.exec() == 1);

    // A BEGIN refused while another connection writes succeeds once that writer is done.
    a.Run("BEGIN IMMEDIATE");
    CHECK_THROWS(b.Run("BEGIN IMMEDIATE"));
    a.Run("COMMIT");
    CHECK_NOTHROW(b.Run("BEGIN IMMEDIATE"));
    b.Run("COMMIT");
  }
  std::filesystem::remove_all(dir);
}
