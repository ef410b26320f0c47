// The bounded prefix of a large execution that detection passes judge (judged_events.h): what the
// final pass keeps, and that counts and costs still cover every stored event.
#include "server/detection/judged_events.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "detectors/policy.h"
#include "server/detection/detection.h"
#include "server/limits.h"
#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

namespace {

// An llm_call of gpt-4o reading 1000 input tokens: 0.0025 USD by the price table.
Event PricedCall(const std::string& execution, int64_t sequence) {
  Event e =
      MakeEvent(execution + "-" + std::to_string(sequence), execution, sequence, 1000, "llm_call");
  e.payload_json = R"({"model":"gpt-4o","input_tokens":1000,"output_tokens":0})";
  return e;
}

// Stores `n` priced calls in execution `id` of project a, in batches as an SDK sends them.
void StoreCalls(TempStore& t, const std::string& id, int64_t n) {
  std::vector<Event> batch;
  for (int64_t seq = 1; seq <= n; ++seq) {
    batch.push_back(PricedCall(id, seq));
    if (batch.size() == limits::kMaxEventsPerBatch || seq == n) {
      t.Ingest(t.a, batch);
      batch.clear();
    }
  }
}

}  // namespace

TEST_CASE("The final pass keeps the first events up to either bound, and prices the rest") {
  FinalPassEvents judge(3, 1 << 20);
  std::vector<storage::EventRead> steps;
  for (int64_t seq = 1; seq <= 5; ++seq) {
    Event e = PricedCall("e1", seq);
    steps.push_back(judge.Take(e));
    CHECK(e.payload_json.empty());  // slimmed to its fields whether kept or not
    CHECK(e.fields.model == std::optional<std::string>("gpt-4o"));
  }
  CHECK(steps ==
        std::vector<storage::EventRead>{storage::EventRead::kKeep, storage::EventRead::kKeep,
                                        storage::EventRead::kKeep, storage::EventRead::kDrop,
                                        storage::EventRead::kDrop});
  CHECK(judge.left_out() == 2);
  CHECK(judge.left_out_cost() == doctest::Approx(2 * 0.0025));

  // A byte bound: once an event does not fit, none after it is kept, however small, so the judged
  // events stay a prefix.
  FinalPassEvents by_bytes(100, sizeof(Event) + 64);
  Event small = MakeEvent("s1", "e2", 1);
  Event large = MakeEvent("l1", "e2", 2, 1000, "llm_call");
  large.payload_json = R"({"user_message":")" + std::string(4096, 'x') + R"("})";
  Event later = MakeEvent("s2", "e2", 3);
  CHECK(by_bytes.Take(small) == storage::EventRead::kKeep);
  CHECK(by_bytes.Take(large) == storage::EventRead::kDrop);
  CHECK(by_bytes.Take(later) == storage::EventRead::kDrop);
  CHECK(by_bytes.left_out() == 2);
  CHECK(by_bytes.left_out_cost() == 0);
}

TEST_CASE("An execution past the judged events is still counted and priced in full") {
  TempStore t;
  Detection detection{t.store.get(), true, "vigil"};
  Policy policy = PolicyPreset("vigil");
  policy.step_count.enabled = true;
  const auto judged = static_cast<int64_t>(limits::kMaxJudgedEvents);
  policy.step_count.max_steps = judged + 100;
  StoreCalls(t, "big", judged + 300);

  // Live: the view holds the judged events and counts the rest, so the step limit still trips.
  const LivePlan plan =
      detection.PrepareLive(t.a, "pa", {PricedCall("big", judged + 301)}, policy, 5000);
  REQUIRE(plan.items.size() == 1);
  CHECK(plan.items[0].state->events.size() == limits::kMaxJudgedEvents);
  CHECK(plan.items[0].assumed_new == 1);
  bool live_steps = false;
  for (const Finding& f : plan.items[0].changed)
    live_steps = live_steps || f.detector == "step_count";
  CHECK(live_steps);

  // Final: the same count, and the cost of every call, judged or not.
  ExecutionPatch p;
  p.execution_id = "big";
  p.status = ExecutionStatus::kCompleted;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::UpsertExecution(txn, t.a, p, 6000).status();
           }).ok());
  REQUIRE(detection.FinalPass(t.a, "pa", "big", policy, 6000).ok());
  const auto findings =
      t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, t.RowOf(t.a, "big")); });
  bool final_steps = false;
  for (const StoredFinding& f : findings) final_steps = final_steps || f.detector == "step_count";
  CHECK(final_steps);
  const auto stored = t.Read([&](Txn& txn) { return storage::LoadForDetection(txn, t.a, "big"); });
  REQUIRE(stored.has_value());
  CHECK(stored->event_count == judged + 300);
  CHECK(stored->events.size() == static_cast<size_t>(judged + 300));
  CHECK(stored->execution.estimated_cost_usd == doctest::Approx((judged + 300) * 0.0025));
}
