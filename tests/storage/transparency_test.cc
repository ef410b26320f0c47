// The transparency logs: append-only entries and subtree hashes per project, checkpoints, and the
// queue of terminal executions the triggers fill.
#include "storage/transparency.h"

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "domain/tlog/merkle.h"
#include "storage/connection.h"
#include "tests/domain/tlog/memory_tree.h"
#include "tests/storage/temp_store.h"

using namespace vigil;

namespace {

struct LogStore : vigil::testing::TempStore {
  Result<uint64_t> Append(int64_t project, const std::string& execution_id) {
    storage::SealRecord seal;
    seal.execution_id = execution_id;
    seal.entry = "{\"execution_id\":\"" + execution_id + "\"}";
    return store->WriteValue([&](WriteTxn& txn) {
      return storage::AppendTransparencyEntry(txn, project, "host/vigil/p", seal, 5);
    });
  }
  tlog::Hash Root(int64_t project, uint64_t size) {
    return Read([&](Txn& txn) { return tlog::TreeHash(size, storage::TreeNodes(txn, project)); });
  }
  Status Sql(const char* sql) {
    return store->Write([&](WriteTxn& txn) {
      return GuardSqlite([&] {
        txn.conn()->db().exec(sql);
        return Status::Ok();
      });
    });
  }
  std::vector<storage::PendingSeal> Pending() {
    return Read([](Txn& txn) { return storage::ListPendingSeals(txn, 0, 100); });
  }
};

TEST_CASE("Appended entries get consecutive indexes and a tree hash equal to the naive root") {
  LogStore s;
  std::vector<tlog::Hash> leaves;
  for (int i = 0; i < 37; ++i) {
    const std::string id = "x" + std::to_string(i);
    CHECK(s.Append(s.a, id).value() == static_cast<uint64_t>(i));
    leaves.push_back(tlog::LeafHash("{\"execution_id\":\"" + id + "\"}"));
    CHECK(s.Root(s.a, leaves.size()) == tlog::testing::NaiveRoot(leaves, 0, leaves.size()));
  }
  auto log = s.Read([&](Txn& txn) { return storage::GetTransparencyLog(txn, s.a); });
  REQUIRE(log.has_value());
  CHECK(log->size == 37);
  CHECK(log->origin == "host/vigil/p");
  // The other project has a log of its own, starting at 0.
  CHECK(s.Append(s.b, "x0").value() == 0);
  auto seal = s.Read([&](Txn& txn) { return storage::FindSeal(txn, s.b, "x5"); });
  CHECK_FALSE(seal.has_value());
  CHECK(s.Read([&](Txn& txn) { return storage::FindSeal(txn, s.a, "x5"); })->index == 5);
}

TEST_CASE("Sealing an execution twice is a conflict and leaves the log as it was") {
  LogStore s;
  REQUIRE(s.Append(s.a, "once").ok());
  CHECK(s.Append(s.a, "once").status().code() == Code::kConflict);
  auto log = s.Read([&](Txn& txn) { return storage::GetTransparencyLog(txn, s.a); });
  CHECK(log->size == 1);
}

TEST_CASE("Entries and subtree hashes refuse UPDATE and DELETE") {
  LogStore s;
  REQUIRE(s.Append(s.a, "kept").ok());
  CHECK_FALSE(s.Sql("UPDATE transparency_entries SET entry = x'00'").ok());
  CHECK_FALSE(s.Sql("DELETE FROM transparency_entries").ok());
  CHECK_FALSE(s.Sql("UPDATE transparency_nodes SET hash = x'00'").ok());
  CHECK_FALSE(s.Sql("DELETE FROM transparency_nodes").ok());
  CHECK(s.Read([&](Txn& txn) { return storage::ListSeals(txn, s.a, 0, 10); }).size() == 1);
}

TEST_CASE("An execution is queued for sealing in the write that makes it terminal, once") {
  LogStore s;
  s.NewExecution(s.a, "run");
  CHECK(s.Pending().empty());  // still started
  REQUIRE(s.Sql("UPDATE executions SET status = 'completed' WHERE execution_id = 'run'").ok());
  REQUIRE(s.Pending().size() == 1);
  CHECK(s.Pending()[0].project_id == "pa");
  CHECK(s.Pending()[0].execution_id == "run");
  REQUIRE(s.Sql("UPDATE executions SET status = 'crashed' WHERE execution_id = 'run'").ok());
  CHECK(s.Pending().size() == 1);
  REQUIRE(s.Write([&](WriteTxn& txn) { return storage::DropPendingSeal(txn, s.a, "run"); }).ok());
  CHECK(s.Pending().empty());
  auto terminal = s.Read([&](Txn& txn) { return storage::ExecutionIsTerminal(txn, s.a, "run"); });
  CHECK(terminal == std::optional<bool>(true));
  CHECK_FALSE(
      s.Read([&](Txn& txn) { return storage::ExecutionIsTerminal(txn, s.b, "run"); }).has_value());
}

TEST_CASE(
    "The latest checkpoint is the largest stored, and a repeated size replaces it (a new key's "
    "signature of the same tree)") {
  LogStore s;
  for (uint64_t size : {3, 9, 5}) {
    REQUIRE(s.Write([&](WriteTxn& txn) {
               return storage::InsertCheckpoint(
                   txn, s.a, {size, "note " + std::to_string(size), static_cast<int64_t>(size)});
             }).ok());
  }
  REQUIRE(s.Write([&](WriteTxn& txn) {
             return storage::InsertCheckpoint(txn, s.a, {9, "other", 10});
           }).ok());
  auto latest = s.Read([&](Txn& txn) { return storage::LatestCheckpoint(txn, s.a); });
  REQUIRE(latest.has_value());
  CHECK(latest->size == 9);
  CHECK(latest->note == "other");
  CHECK(latest->signed_at_ms == 10);
  auto five = s.Read([&](Txn& txn) { return storage::CheckpointOfSize(txn, s.a, 5); });
  REQUIRE(five.has_value());
  CHECK(five->note == "note 5");
  CHECK_FALSE(s.Read([&](Txn& txn) { return storage::CheckpointOfSize(txn, s.b, 5); }).has_value());
  CHECK_FALSE(s.Read([&](Txn& txn) { return storage::LatestCheckpoint(txn, s.b); }).has_value());
}

}  // namespace
