#include "domain/merge.h"

#include <doctest/doctest.h>

using vigil::Execution;
using vigil::ExecutionPatch;
using vigil::ExecutionStatus;
using vigil::MergeExecution;

TEST_CASE("MergeExecution creates with started status and the given default start") {
  ExecutionPatch p;
  p.execution_id = "e";
  Execution e = MergeExecution(std::nullopt, p, 1000, 5000);
  CHECK(e.status == ExecutionStatus::kStarted);
  CHECK(e.started_at_ms == 1000);
  CHECK(e.ended_at_ms == 0);
}

TEST_CASE("MergeExecution: present non-zero fields replace, zero and empty leave") {
  Execution stored;
  stored.status = ExecutionStatus::kStarted;
  stored.started_at_ms = 10;
  stored.total_tokens_in = 7;
  stored.sdk_version = "1.0";
  ExecutionPatch p;
  p.total_tokens_in = 0;
  p.total_tokens_out = 3;
  p.sdk_version = "";
  p.sdk_language = "python";
  Execution e = MergeExecution(stored, p, 0, 99);
  CHECK(e.total_tokens_in == 7);
  CHECK(e.total_tokens_out == 3);
  CHECK(e.sdk_version == "1.0");
  CHECK(e.sdk_language == "python");
  CHECK(e.started_at_ms == 10);
}

TEST_CASE("MergeExecution: started never replaces a terminal status, terminal replaces any") {
  Execution stored;
  stored.status = ExecutionStatus::kCrashed;
  stored.ended_at_ms = 50;
  ExecutionPatch p;
  p.status = ExecutionStatus::kStarted;
  CHECK(MergeExecution(stored, p, 0, 99).status == ExecutionStatus::kCrashed);
  p.status = ExecutionStatus::kCompleted;
  CHECK(MergeExecution(stored, p, 0, 99).status == ExecutionStatus::kCompleted);
}

TEST_CASE("MergeExecution: terminal without ended_at gets receive time once, never moved") {
  Execution stored;
  stored.status = ExecutionStatus::kStarted;
  ExecutionPatch p;
  p.status = ExecutionStatus::kCompleted;
  Execution first = MergeExecution(stored, p, 0, 100);
  CHECK(first.ended_at_ms == 100);
  Execution again = MergeExecution(first, p, 0, 200);
  CHECK(again.ended_at_ms == 100);
  p.ended_at_ms = 150;  // an explicit value does replace
  CHECK(MergeExecution(first, p, 0, 300).ended_at_ms == 150);
}

TEST_CASE("MergeExecution replaces the budget as a whole") {
  Execution stored;
  stored.status = ExecutionStatus::kStarted;
  stored.budget = vigil::Budget{};
  stored.budget->max_steps = 5;
  stored.budget->max_cost_usd = 1.0;
  ExecutionPatch p;
  p.budget = vigil::Budget{};
  p.budget->max_steps = 9;
  Execution e = MergeExecution(stored, p, 0, 0);
  REQUIRE(e.budget.has_value());
  CHECK(e.budget->max_steps == 9);
  CHECK_FALSE(e.budget->max_cost_usd.has_value());
}

TEST_CASE("RemoveRepeatedEventIds keeps the first occurrence and the order of the rest") {
  std::vector<vigil::Event> events(5);
  const char* ids[] = {"a", "b", "a", "c", "b"};
  for (int i = 0; i < 5; ++i) {
    events[i].event_id = ids[i];
    events[i].sequence = i;
  }
  CHECK(vigil::RemoveRepeatedEventIds(&events) == 2);
  REQUIRE(events.size() == 3);
  CHECK(events[0].event_id == "a");
  CHECK(events[0].sequence == 0);  // the first write wins
  CHECK(events[1].event_id == "b");
  CHECK(events[2].event_id == "c");
  std::vector<vigil::Event> none(2);
  none[0].event_id = "x";
  none[1].event_id = "y";
  CHECK(vigil::RemoveRepeatedEventIds(&none) == 0);
  CHECK(none.size() == 2);
}
