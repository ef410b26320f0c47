// Aggregates over a project's executions, events and findings.
#include "storage/stats.h"

#include <doctest/doctest.h>

#include "storage/detection.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

namespace {

constexpr int64_t kDayMs = 86400000;

void Run(TempStore& t, int64_t project, const std::string& id, const std::string& status,
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
  const int64_t row =
      t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, project, id); })->row_id;
  StoredFinding f;
  f.detector = "crash";
  f.group_id = group;
  f.failure_class = "crashes";
  f.signature = "sig-" + group;  // one group per (class, signature)
  bool created = false;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::PutFinding(txn, project, row, id, f, &created);
           }).ok());
}

}  // namespace

TEST_CASE("GetStats counts the project's executions, recent crashes and failure groups") {
  TempStore t;
  const int64_t now = 10 * kDayMs;
  Run(t, t.a, "ok1", "completed", now - 1000);
  Run(t, t.a, "ok2", "completed", now - 2 * kDayMs);
  Run(t, t.a, "crash-new", "crashed", now - kDayMs);      // exactly 24 h ago: counted
  Run(t, t.a, "crash-old", "crashed", now - kDayMs - 1);  // just before: not
  Run(t, t.b, "other", "crashed", now);
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
  Run(t, t.a, "e1", "completed", 100, 0.5);
  Run(t, t.a, "e2", "crashed", 150, 0.25);
  Run(t, t.a, "e3", "completed", 350, 1);
  Run(t, t.a, "late", "completed", 400, 8);  // at `until`: outside
  Run(t, t.b, "other", "completed", 120, 100);
  Fail(t, t.a, "e2", "g");
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::IngestEvents(
                        txn, t.a, {MakeEvent("1", "e1", 1, 110), MakeEvent("2", "e1", 2, 320)}, 1)
                 .status();
           }).ok());
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
  Run(t, t.a, "d0", "completed", 0);
  Run(t, t.a, "d0b", "completed", kDayMs - 1);
  Run(t, t.a, "d2", "completed", 2 * kDayMs);
  Run(t, t.b, "other", "completed", 0);
  auto days = t.Read([&](Txn& txn) { return storage::ExecutionsPerDay(txn, t.a, 0, 2 * kDayMs); });
  CHECK(days == std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {2 * kDayMs, 1}});
  CHECK(t.Read([&](Txn& txn) {
    return storage::CountExecutionsStarted(txn, t.a, 0, 2 * kDayMs);
  }) == 2);
  CHECK(t.Read([&](Txn& txn) {
    return storage::CountExecutionsStarted(txn, t.a, 1, 2 * kDayMs + 1);
  }) == 2);
}
