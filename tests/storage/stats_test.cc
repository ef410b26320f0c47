// Aggregates over a project's executions, events and findings.
#include "storage/stats.h"

#include <doctest/doctest.h>

#include "storage/detection.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::MakeFinding;
using vigil::testing::TempStore;

namespace {

constexpr int64_t kDayMs = 86400000;

void Run(TempStore& t, int64_t project, const std::string& id, ExecutionStatus status,
         int64_t started_at_ms, double cost_usd = 0) {
  ExecutionPatch p;
  p.execution_id = id;
  p.status = status;
  p.started_at_ms = started_at_ms;
  p.estimated_cost_usd = cost_usd;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::UpsertExecution(txn, project, p, started_at_ms);
           }).created);
}

void Fail(TempStore& t, int64_t project, const std::string& id, const std::string& group) {
  t.AddFinding(project, t.RowOf(project, id), id, MakeFinding("crash", group));
}

}  // namespace

TEST_CASE("GetStats counts the project's executions, recent crashes and failure groups") {
  TempStore t;
  const int64_t now = 10 * kDayMs;
  Run(t, t.a, "ok1", ExecutionStatus::kCompleted, now - 1000);
  Run(t, t.a, "ok2", ExecutionStatus::kCompleted, now - 2 * kDayMs);
  Run(t, t.a, "crash-new", ExecutionStatus::kCrashed, now - kDayMs);  // exactly 24 h ago: counted
  Run(t, t.a, "crash-old", ExecutionStatus::kCrashed, now - kDayMs - 1);  // just before: not
  Run(t, t.b, "other", ExecutionStatus::kCrashed, now);
  Fail(t, t.a, "crash-new", "g1");
  Fail(t, t.a, "crash-old", "g1");
  Fail(t, t.a, "ok1", "g2");
  const ProjectStats s = t.Read([&](Txn& txn) { return storage::GetStats(txn, t.a, now); });
  CHECK(s.total_executions == 4);
  CHECK(s.completed_executions == 2);
  CHECK(s.crashed_24h == 1);
  CHECK(s.open_failure_groups == 2);
  const ProjectStats empty = t.Read([&](Txn& txn) { return storage::GetStats(txn, 999, now); });
  CHECK(empty.total_executions == 0);
}

TEST_CASE("TimeSeries sums each metric per bucket over [since, until), empty buckets left out") {
  TempStore t;
  Run(t, t.a, "e1", ExecutionStatus::kCompleted, 100, 0.5);
  Run(t, t.a, "e2", ExecutionStatus::kCrashed, 150, 0.25);
  Run(t, t.a, "e3", ExecutionStatus::kCompleted, 350, 1);
  Run(t, t.a, "late", ExecutionStatus::kCompleted, 400, 8);  // at `until`: outside
  Run(t, t.b, "other", ExecutionStatus::kCompleted, 120, 100);
  Fail(t, t.a, "e2", "g");
  t.Ingest(t.a, {MakeEvent("1", "e1", 1, 110), MakeEvent("2", "e1", 2, 320)});
  auto series = [&](const std::string& metric) {
    return t.Read([&](Txn& txn) { return storage::TimeSeries(txn, t.a, metric, 100, 0, 400); });
  };
  using Points = std::vector<std::pair<int64_t, double>>;
  CHECK(series("executions") == Points{{100, 2}, {300, 1}});
  CHECK(series("failures") == Points{{100, 1}});
  CHECK(series("events") == Points{{100, 1}, {300, 1}});
  CHECK(series("cost_usd") == Points{{100, 0.75}, {300, 1}});
}

TEST_CASE(
    "ExecutionsPerDay counts per UTC day inclusively; CountExecutionsStarted excludes until") {
  TempStore t;
  Run(t, t.a, "d0", ExecutionStatus::kCompleted, 0);
  Run(t, t.a, "d0b", ExecutionStatus::kCompleted, kDayMs - 1);
  Run(t, t.a, "d2", ExecutionStatus::kCompleted, 2 * kDayMs);
  Run(t, t.b, "other", ExecutionStatus::kCompleted, 0);
  auto days = t.Read([&](Txn& txn) { return storage::ExecutionsPerDay(txn, t.a, 0, 2 * kDayMs); });
  CHECK(days == std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {2 * kDayMs, 1}});
  CHECK(t.Read([&](Txn& txn) {
    return storage::CountExecutionsStarted(txn, t.a, 0, 2 * kDayMs);
  }) == 2);
  CHECK(t.Read([&](Txn& txn) {
    return storage::CountExecutionsStarted(txn, t.a, 1, 2 * kDayMs + 1);
  }) == 2);
}
