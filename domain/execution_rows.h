// Rows of executions and events as storage returns them (storage/executions.h, events.h, halts.h,
// stats.h): results of a write, filters and details of a read. Plain structs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/detection_rows.h"
#include "domain/model.h"

namespace vigil {

struct UpsertResult {
  ExecutionStatus status = ExecutionStatus::kStarted;
  bool created = false;
  Execution execution;  // the stored state after the merge
};

struct TouchedExecution {
  std::string execution_id;
  int64_t row_id = 0;
  bool terminal = false;  // status at the time of the batch
  int64_t inserted = 0;   // new events stored for it by this batch
};

struct IngestResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::vector<TouchedExecution> touched;  // every execution named by the batch
  std::vector<bool> inserted;             // per batch index: stored (true) or duplicate
  int64_t created_executions = 0;         // executions this batch created (abuse volume signal)
};

struct ExecutionFilter {
  std::optional<ExecutionStatus> status;
  std::optional<int64_t> started_after_ms;
  std::optional<int64_t> started_before_ms;
  std::string parent_execution_id;
  std::string name;  // exact match
  std::string failure_group_id;
  std::string sdk_language;
  int64_t limit = 50;
  int64_t offset = 0;
};

struct ExecutionDetail {
  Execution execution;
  int64_t internal_id = 0;
  int64_t events_total = 0;
  std::vector<Event> events;  // first page by sequence, then arrival
  std::vector<StoredFinding> findings;
  // Sums of llm_call payload tokens, used when the execution has none stored (docs/api.md#reads).
  int64_t llm_tokens_in = 0;
  int64_t llm_tokens_out = 0;
  // The payload JSON of the latest `exception` event, the execution's crash cause; "" = none.
  std::string exception_payload;
};

struct HaltState {
  bool exists = false;
  bool terminal = false;
  std::string halt_reason;  // persisted, "" = none
};

struct ProjectStats {
  int64_t total_executions = 0;
  int64_t completed_executions = 0;
  int64_t crashed_24h = 0;
  int64_t open_failure_groups = 0;
};

}  // namespace vigil
