// Detection state: snapshots for a pass, findings and their groups, the policy.
#include "storage/detection.h"

#include <doctest/doctest.h>

#include "storage/events.h"
#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::MakeFinding;
using vigil::testing::TempStore;

TEST_CASE("LoadForDetection reads the same on both sides and sees the write job's own changes") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  auto read = t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, t.a, "e1"); });
  REQUIRE(read.has_value());
  CHECK(read->row_id == row);
  CHECK(read->events.size() == 1);
  CHECK(read->events[0].execution_id == "e1");
  auto in_write = t.Write([&](WriteTxn& txn) -> Result<std::optional<DetectionInput>> {
    auto r = storage::IngestEvents(txn, t.a, {MakeEvent("e1-ev2", "e1", 2, 20)}, 1);
    if (!r.ok()) return r.status();
    return storage::LoadForDetection(txn, t.a, "e1");  // the same transaction
  });
  REQUIRE(in_write.has_value());
  CHECK(in_write->events.size() == 2);
  CHECK(in_write->revision == read->revision + 1);
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, t.b, "e1"); }));
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::Revision(txn, t.b, row); }));
}

TEST_CASE("A reader's prepare keeps, drops or stops at each event, in sequence order") {
  TempStore t;
  std::vector<Event> events;
  for (int64_t seq = 5; seq >= 1; --seq) {
    events.push_back(MakeEvent("e1-ev" + std::to_string(seq), "e1", seq, 10 * seq));
  }
  t.Ingest(t.a, events);
  std::vector<int64_t> seen;
  const auto read = t.Read([&](Txn& txn) {
    seen.clear();
    return storage::LoadForDetection(txn, t.a, "e1", [&seen](Event& e) {
      seen.push_back(e.sequence);
      if (e.sequence == 4) return storage::EventRead::kStop;
      return e.sequence % 2 == 1 ? storage::EventRead::kKeep : storage::EventRead::kDrop;
    });
  });
  REQUIRE(read.has_value());
  CHECK(seen == std::vector<int64_t>{1, 2, 3, 4});  // nothing read past the stop
  REQUIRE(read->events.size() == 2);
  CHECK(read->events[0].sequence == 1);
  CHECK(read->events[1].sequence == 3);
  CHECK(read->event_count == 5);  // what is stored, whatever the reader kept
}

TEST_CASE("PutFinding creates its group once and only ever moves the group's last_seen forward") {
  TempStore t;
  const int64_t e1 = t.NewExecution(t.a, "e1");
  const int64_t e2 = t.NewExecution(t.a, "e2");
  CHECK(t.AddFinding(t.a, e1, "e1", MakeFinding("loop", "g1", 100)));
  CHECK_FALSE(t.AddFinding(t.a, e2, "e2", MakeFinding("loop", "g1", 300)));
  // Replaces e1's finding.
  CHECK_FALSE(t.AddFinding(t.a, e1, "e1", MakeFinding("loop", "g1", 200)));
  auto g = t.Read([&](Txn& txn) { return storage::GetFailureGroup(txn, t.a, "g1"); });
  REQUIRE(g.has_value());
  CHECK(g->first_seen_ms == 100);
  CHECK(g->last_seen_ms == 300);
  CHECK(g->sample_execution_id == "e1");
  CHECK(g->affected_executions == 2);
  CHECK(g->signature == "sig-g1");
  auto findings = t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, e1); });
  REQUIRE(findings.size() == 1);  // one per (execution, detector)
  CHECK(findings[0].detected_at_ms == 200);
  // The same group id in project b is another group.
  const int64_t b1 = t.NewExecution(t.b, "e1");
  CHECK(t.AddFinding(t.b, b1, "e1", MakeFinding("loop", "g1", 50)));
  CHECK(t.Read([&](Txn& txn) { return storage::GetFailureGroup(txn, t.a, "g1"); })->first_seen_ms ==
        100);
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::GetFailureGroup(txn, t.a, "g2"); }));
}

TEST_CASE(
    "Findings load by priority; deleting one leaves the others and other executions' findings") {
  TempStore t;
  const int64_t e1 = t.NewExecution(t.a, "e1");
  const int64_t e2 = t.NewExecution(t.a, "e2");
  t.AddFinding(t.a, e1, "e1", MakeFinding("cost", "g-cost", 10, 5));
  t.AddFinding(t.a, e1, "e1", MakeFinding("crash", "g-crash", 10, 1));
  t.AddFinding(t.a, e2, "e2", MakeFinding("crash", "g-crash", 10, 1));
  auto f = t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, e1); });
  REQUIRE(f.size() == 2);
  CHECK(f[0].detector == "crash");
  CHECK(f[1].detector == "cost");
  CHECK(t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.b, e1); }).empty());
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::DeleteFinding(txn, t.b, e1, "crash"); }).ok());
  CHECK(t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, e1); }).size() == 2);
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::DeleteFinding(txn, t.a, e1, "crash"); }).ok());
  auto left = t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, e1); });
  REQUIRE(left.size() == 1);
  CHECK(left[0].detector == "cost");
  CHECK(t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, e2); }).size() == 1);
}

TEST_CASE("SetPrimaryGroup and SetEstimatedCost change the project's execution only") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::SetPrimaryGroup(txn, t.a, row, "g1");
             if (s.ok()) s = storage::SetEstimatedCost(txn, t.a, row, 1.25);
             // Project b naming a's row changes nothing.
             if (s.ok()) s = storage::SetPrimaryGroup(txn, t.b, row, "stolen");
             if (s.ok()) s = storage::SetEstimatedCost(txn, t.b, row, 99);
             return s;
           }).ok());
  auto e = t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, t.a, "e1"); });
  CHECK(e->execution.failure_group_id == "g1");
  CHECK(e->execution.estimated_cost_usd == 1.25);
  REQUIRE(t.Write([&](WriteTxn& txn) { return storage::SetPrimaryGroup(txn, t.a, row, ""); }).ok());
  CHECK(t.Read([&](Txn& txn) {
           return storage::LoadForDetection(txn, t.a, "e1");
         })->execution.failure_group_id.empty());
}

TEST_CASE("ListFailureGroups pages the project's groups, most recently seen first") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  t.AddFinding(t.a, row, "e1", MakeFinding("d1", "old", 100));
  t.AddFinding(t.a, row, "e1", MakeFinding("d2", "new", 300));
  t.AddFinding(t.a, row, "e1", MakeFinding("d3", "mid", 200));
  auto page = t.Read([&](Txn& txn) { return storage::ListFailureGroups(txn, t.a, 2, 0); });
  REQUIRE(page.size() == 2);
  CHECK(page[0].group_id == "new");
  CHECK(page[1].group_id == "mid");
  auto rest = t.Read([&](Txn& txn) { return storage::ListFailureGroups(txn, t.a, 2, 2); });
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].group_id == "old");
  CHECK(t.Read([&](Txn& txn) { return storage::ListFailureGroups(txn, t.b, 10, 0); }).empty());
}

TEST_CASE("The policy is per project and replaced as a whole") {
  TempStore t;
  CHECK(t.Read([&](Txn& txn) { return storage::GetPolicy(txn, t.a); }).empty());
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::PutPolicy(txn, t.a, "{\"v\":1}", 1); }).ok());
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::PutPolicy(txn, t.a, "{\"v\":2}", 2); }).ok());
  CHECK(t.Read([&](Txn& txn) { return storage::GetPolicy(txn, t.a); }) == "{\"v\":2}");
  CHECK(t.Read([&](Txn& txn) { return storage::GetPolicy(txn, t.b); }).empty());
}

TEST_CASE("HistoryMessages returns other executions' user messages, newest first, bounded") {
  TempStore t;
  auto msg = [](const std::string& id, const std::string& exec, const std::string& text,
                int64_t ts) {
    Event e = MakeEvent(id, exec, 1, ts, "llm_call");
    e.payload_json = "{\"user_message\":\"" + text + "\"}";
    return e;
  };
  t.Ingest(t.a, {msg("1", "e1", "first", 100), msg("2", "e1", "", 110),
                 msg("3", "e2", "second", 120), msg("4", "self", "mine", 130)});
  t.Ingest(t.b, {msg("1", "e9", "other", 100)});
  const int64_t self = t.RowOf(t.a, "self");
  auto all =
      t.Read([&](Txn& txn) { return storage::HistoryMessages(txn, t.a, self, 0, 1000, 10); });
  CHECK(all == std::vector<std::string>{"second", "first"});
  auto one = t.Read([&](Txn& txn) { return storage::HistoryMessages(txn, t.a, self, 0, 1000, 1); });
  CHECK(one == std::vector<std::string>{"second"});
  auto window =
      t.Read([&](Txn& txn) { return storage::HistoryMessages(txn, t.a, self, 0, 115, 10); });
  CHECK(window == std::vector<std::string>{"first"});
}

namespace {

// Creates (or completes) execution `id` of `project` named `name`, started at `started_ms`.
void PutNamed(TempStore& t, int64_t project, const std::string& id, const std::string& name,
              int64_t started_ms, ExecutionStatus status, int64_t duration_ms = 0,
              double cost_usd = 0) {
  ExecutionPatch p;
  p.execution_id = id;
  p.name = name;
  p.status = status;
  p.started_at_ms = started_ms;
  p.duration_ms = duration_ms;
  if (cost_usd > 0) p.estimated_cost_usd = cost_usd;
  t.Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, project, p, 1); });
}

}  // namespace

TEST_CASE("A name is stored, kept by later patches without one, and filters the list") {
  TempStore t;
  PutNamed(t, t.a, "e1", "support", 100, ExecutionStatus::kStarted);
  PutNamed(t, t.a, "e1", "", 100, ExecutionStatus::kCompleted);  // the end PATCH sends no name
  PutNamed(t, t.a, "e2", "triage", 200, ExecutionStatus::kCompleted);
  PutNamed(t, t.a, "e3", "", 300, ExecutionStatus::kCompleted);
  PutNamed(t, t.b, "e9", "support", 100,
           ExecutionStatus::kCompleted);  // another tenant's agent of that name
  ExecutionFilter f;
  f.name = "support";
  auto support = t.Read([&](Txn& txn) { return storage::ListExecutions(txn, t.a, f); });
  REQUIRE(support.size() == 1);
  CHECK(support[0].execution_id == "e1");
  CHECK(support[0].name == "support");
  CHECK(support[0].status == ExecutionStatus::kCompleted);
  auto all = t.Read([&](Txn& txn) { return storage::ListExecutions(txn, t.a, ExecutionFilter{}); });
  CHECK(all.size() == 3);
  CHECK(all[0].name.empty());  // e3, newest
}

TEST_CASE("BaselineSamples reads a name's completed executions of the project, newest first") {
  TempStore t;
  for (int i = 1; i <= 4; ++i) {
    PutNamed(t, t.a, "e" + std::to_string(i), "agent", i * 100, ExecutionStatus::kCompleted,
             i * 1000, i * 0.5);
  }
  PutNamed(t, t.a, "running", "agent", 900, ExecutionStatus::kStarted);
  PutNamed(t, t.a, "crashed", "agent", 950, ExecutionStatus::kCrashed, 5);
  PutNamed(t, t.a, "other", "other-agent", 990, ExecutionStatus::kCompleted, 7);
  PutNamed(t, t.b, "e9", "agent", 999, ExecutionStatus::kCompleted, 9);
  t.Ingest(t.a, {MakeEvent("ev1", "e4", 1, 400), MakeEvent("ev2", "e4", 2, 410)});
  auto samples = t.Read([&](Txn& txn) { return storage::BaselineSamples(txn, t.a, "agent", 10); });
  REQUIRE(samples.size() == 4);
  CHECK(samples[0].row_id == t.RowOf(t.a, "e4"));
  CHECK(samples[0].steps == 2);
  CHECK(samples[0].duration_ms == 4000);
  CHECK(samples[0].cost_usd == doctest::Approx(2.0));
  CHECK(samples[3].duration_ms == 1000);
  auto limited = t.Read([&](Txn& txn) { return storage::BaselineSamples(txn, t.a, "agent", 2); });
  CHECK(limited.size() == 2);
  CHECK(t.Read([&](Txn& txn) {
           return storage::BaselineSamples(txn, t.b, "other-agent", 10);
         }).empty());
}

TEST_CASE("CountCompleted and HistoryModels are scoped to a name when one is given") {
  TempStore t;
  auto call = [](const std::string& id, const std::string& exec, const std::string& model) {
    Event e = MakeEvent(id, exec, 1, 100, "llm_call");
    e.payload_json = "{\"model\":\"" + model + "\"}";
    e.fields.model = model;  // as the codec extracts it
    return e;
  };
  PutNamed(t, t.a, "a1", "writer", 10, ExecutionStatus::kCompleted);
  PutNamed(t, t.a, "a2", "writer", 20, ExecutionStatus::kCompleted);
  PutNamed(t, t.a, "b1", "reviewer", 30, ExecutionStatus::kCompleted);
  PutNamed(t, t.a, "self", "writer", 40, ExecutionStatus::kStarted);
  t.Ingest(t.a, {call("1", "a1", "gpt-4o"), call("2", "b1", "claude-sonnet-4-6"),
                 call("3", "self", "o1")});
  const int64_t self = t.RowOf(t.a, "self");
  auto count = [&](const std::string& name, int64_t at_most) {
    return t.Read(
        [&](Txn& txn) { return storage::CountCompleted(txn, t.a, self, name, 0, 1000, at_most); });
  };
  CHECK(count("writer", 100) == 2);
  CHECK(count("writer", 1) == 1);  // the scan stops at at_most
  CHECK(count("", 100) == 3);      // the whole project
  CHECK(count("nobody", 100) == 0);
  auto models = [&](const std::string& name) {
    return t.Read([&](Txn& txn) { return storage::HistoryModels(txn, t.a, self, 0, 1000, name); });
  };
  CHECK(models("writer") == std::vector<std::string>{"gpt-4o"});
  CHECK(models("reviewer") == std::vector<std::string>{"claude-sonnet-4-6"});
  CHECK(models("").size() == 2);
}
