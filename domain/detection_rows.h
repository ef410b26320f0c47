// Rows of detection as storage returns them (storage/detection.h): findings, the snapshot a
// detection pass reads, and failure groups with their lifecycle. Plain structs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/model.h"
#include "domain/values.h"

namespace vigil {

struct StoredFinding {
  std::string detector;
  int priority = 0;
  std::string failure_class;
  std::string signature;
  std::string group_id;
  int64_t detected_at_ms = 0;
  std::string source;
  std::string detail;  // why it fired, for a person (Finding::detail); "" = not said
};

// An execution with every stored event (sorted by sequence, then arrival), for a detection pass.
struct DetectionInput {
  int64_t row_id = 0;
  int64_t revision = 0;  // see storage::Revision (storage/detection.h)
  Execution execution;
  int64_t event_count = 0;    // events stored, whether or not `events` holds them all
  std::vector<Event> events;  // those the reader kept
};

// What storing one finding did to its group: created it, reopened it because it recurred after it
// was resolved (a regression), or neither. Each of the first two announces the group once.
enum class GroupChange { kNone, kCreated, kRegressed };

struct FailureGroupRow {
  std::string group_id;
  std::string failure_class;
  std::string signature;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  std::string sample_execution_id;
  int64_t affected_executions = 0;
  double cost_wasted_usd = 0;
  GroupState state = GroupState::kOpen;
  int64_t state_changed_at_ms = 0;  // when it entered `state`; 0 = created so, never moved
  std::string state_changed_by;     // who moved it: an API key's id or "system"; "" = nobody
};

// One completed execution as a sample of its name's baseline (storage::BaselineSamples).
struct BaselineSample {
  int64_t row_id = 0;       // the execution's row, so a pass can leave its own execution out
  int64_t steps = 0;        // stored events, as the step-count detector counts them
  int64_t duration_ms = 0;  // duration_ms, else ended_at - started_at
  double cost_usd = 0;      // estimated_cost_usd (the final pass stores a computed one)
};

}  // namespace vigil
