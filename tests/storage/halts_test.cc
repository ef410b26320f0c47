// Halt requests persisted on a project's executions.
#include "storage/halts.h"

#include <doctest/doctest.h>

#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::TempStore;

namespace {

void Start(TempStore& t, int64_t project, const std::string& id, ExecutionStatus status) {
  ExecutionPatch p;
  p.execution_id = id;
  p.status = status;
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, project, p, 1); }).created);
}

HaltState Halt(TempStore& t, int64_t project, const std::string& id, const std::string& reason,
               int64_t now_ms = 50) {
  return t.Write(
      [&](WriteTxn& txn) { return storage::RequestHalt(txn, project, id, reason, now_ms); });
}

}  // namespace

TEST_CASE("RequestHalt persists a halt for a running execution; a later one replaces the reason") {
  TempStore t;
  Start(t, t.a, "run", ExecutionStatus::kStarted);
  const HaltState none = t.Read([&](Txn& txn) { return storage::GetHaltState(txn, t.a, "run"); });
  CHECK(none.exists);
  CHECK_FALSE(none.terminal);
  CHECK(none.halt_reason.empty());
  const HaltState first = Halt(t, t.a, "run", "budget");
  CHECK(first.exists);
  CHECK(first.halt_reason == "budget");
  CHECK(Halt(t, t.a, "run", "operator", 60).halt_reason == "operator");
  CHECK(t.Read([&](Txn& txn) { return storage::GetHaltState(txn, t.a, "run"); }).halt_reason ==
        "operator");
  auto e = t.Read([&](Txn& txn) { return storage::GetExecution(txn, t.a, "run", 0); });
  CHECK(e->execution.halt_requested_at_ms == 60);
}

TEST_CASE("RequestHalt stores nothing for a terminal or missing execution, and says which") {
  TempStore t;
  Start(t, t.a, "done", ExecutionStatus::kCompleted);
  const HaltState terminal = Halt(t, t.a, "done", "late");
  CHECK(terminal.exists);
  CHECK(terminal.terminal);
  CHECK(terminal.halt_reason.empty());
  CHECK(t.Read([&](Txn& txn) {
           return storage::GetHaltState(txn, t.a, "done");
         }).halt_reason.empty());
  const HaltState missing = Halt(t, t.a, "nope", "x");
  CHECK_FALSE(missing.exists);
}

TEST_CASE("Another project's execution behaves as a missing one for halts") {
  TempStore t;
  Start(t, t.b, "run", ExecutionStatus::kStarted);
  CHECK_FALSE(Halt(t, t.a, "run", "cross-tenant").exists);
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::GetHaltState(txn, t.a, "run"); }).exists);
  CHECK(
      t.Read([&](Txn& txn) { return storage::GetHaltState(txn, t.b, "run"); }).halt_reason.empty());
}
