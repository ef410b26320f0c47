// The engine: opening, group commit, the write queue's bound, the audit buffer, statements.
#include "storage/store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/audit.h"
#include "storage/connection.h"
#include "storage/database.h"
#include "storage/events.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

namespace {

// Occupies the writer with one job until Release(), so that the jobs queued meanwhile wait (and
// then share one group).
class WriterBlocker {
 public:
  explicit WriterBlocker(Store& store)
      : thread_([this, &store] {
          store.Write([this](WriteTxn&) {
            while (!release_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return Status::Ok();
          });
        }) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer has taken it
  }
  ~WriterBlocker() { Release(); }
  void Release() {
    release_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> release_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("Store::Open creates the directory and records migrations") {
  TempStore t;
  CHECK(std::filesystem::exists(t.dir / "sub" / "t.db"));
  CHECK(t.store->Read([](ReadTxn& txn) { return storage::Ping(txn); }).ok());
}

TEST_CASE("A failing job in a group commit rolls back alone") {
  TempStore t;
  // Many concurrent jobs so some share a group; every other one fails after writing.
  std::vector<std::thread> threads;
  std::vector<Status> results(20);
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      results[i] = t.store->Write([&, i](WriteTxn& txn) {
        auto r = storage::IngestEvents(txn, t.a, {MakeEvent("g" + std::to_string(i), "grp", i)}, 1);
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
                auto events = storage::ListEvents(txn, t.a, "grp", 100, 0, &total).value();
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
  // The first job occupies the writer; the second fills the queue; the third is refused.
  WriterBlocker slow(store);
  std::thread queued([&] { store.Write([](WriteTxn&) { return Status::Ok(); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Status refused = store.Write([](WriteTxn&) { return Status::Ok(); });
  CHECK(refused.code() == Code::kOverloaded);
  CHECK(refused.message() == "server busy, retry later");
  slow.Release();
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

TEST_CASE("A job that throws fails alone; the jobs of its group commit") {
  TempStore t;
  WriterBlocker slow(*t.store);
  // Both jobs wait behind the slow one, so they run in one group.
  Status thrown, stored;
  std::thread a([&] {
    thrown = t.store->Write([&](WriteTxn& txn) -> Status {
      Status s = storage::IngestEvents(txn, t.a, {MakeEvent("x", "e1", 1)}, 1).status();
      if (s.ok()) throw std::runtime_error("boom");
      return s;
    });
  });
  std::thread b([&] {
    stored = t.store->Write([&](WriteTxn& txn) {
      return storage::IngestEvents(txn, t.a, {MakeEvent("y", "e2", 1)}, 1).status();
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  slow.Release();
  a.join();
  b.join();
  CHECK(thrown.code() == Code::kInternal);
  CHECK(thrown.message() == "write job threw: boom");
  CHECK(stored.ok());
  int64_t total = -1;
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::ListEvents(txn, t.a, "e1", 10, 0, &total); }));
  CHECK(t.Read([&](Txn& txn) {
           return storage::ListEvents(txn, t.a, "e2", 10, 0, &total);
         })->size() == 1);
  // The thrown job's event id was forgotten with its rollback: it can be stored now.
  CHECK(t.Write([&](WriteTxn& txn) {
           return storage::IngestEvents(txn, t.a, {MakeEvent("x", "e1", 1)}, 1);
         }).accepted == 1);
}

TEST_CASE("A job that waited past the busy timeout is answered busy and never runs") {
  StoreOptions o;
  o.busy_timeout_ms = 100;
  TempStore t(o);
  std::thread slow([&] {
    t.store->Write([](WriteTxn&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Status::Ok();
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  bool ran = false;
  Status late = t.store->Write([&](WriteTxn&) {
    ran = true;
    return Status::Ok();
  });
  slow.join();
  CHECK(late.code() == Code::kOverloaded);
  CHECK(late.message() == "server busy, retry later");
  CHECK_FALSE(ran);
}

TEST_CASE("A closed store refuses writes as shutting down") {
  TempStore t;
  t.store->Close();
  t.store->Close();  // idempotent
  Status s = t.store->Write([](WriteTxn&) { return Status::Ok(); });
  CHECK(s.code() == Code::kOverloaded);
  CHECK(s.message() == "shutting down");
  CHECK_FALSE(t.store->WriteAsync([](WriteTxn&) { return Status::Ok(); }));
}

TEST_CASE("Appended audit rows are committed with the next group, without any write job") {
  TempStore t;
  AuditEntry e;
  e.time_ms = 5;
  e.project = t.a;
  e.actor = Actor::kKey;
  e.action = "request";
  t.store->AppendAudit(e);
  AuditFilter f;
  f.project = t.a;
  std::vector<AuditEntry> rows;
  // The writer flushes queued rows at least every 200 ms.
  for (int i = 0; i < 100 && rows.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    rows = t.Read([&](Txn& txn) { return storage::ListAudit(txn, f); });
  }
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].action == "request");
  CHECK(t.store->AuditDropped() == 0);
}

TEST_CASE("Audit rows past the buffer bound are dropped and counted") {
  StoreOptions o;
  o.audit_buffer_max = 2;
  TempStore t(o);
  WriterBlocker slow(*t.store);
  AuditEntry e;
  e.time_ms = 5;
  e.actor = Actor::kSystem;
  for (const char* action : {"one", "two", "three"}) {
    e.action = action;
    t.store->AppendAudit(e);  // the writer is busy: all three wait in the buffer
  }
  CHECK(t.store->AuditDropped() == 1);
  slow.Release();
  // A job's commit carries the buffered rows with it.
  REQUIRE(t.Write([](WriteTxn&) { return Status::Ok(); }).ok());
  AuditFilter all;
  all.all_projects = true;
  std::vector<AuditEntry> rows;
  for (int i = 0; i < 100 && rows.size() < 2; ++i) {
    rows = t.Read([&](Txn& txn) { return storage::ListAudit(txn, all); });
    if (rows.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].action == "two");
  CHECK(rows[1].action == "one");
}
