// Events of a project's executions: batched ingestion and pages on read.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h. Event ids are unique per
// project: the first write of an id wins, and every later event with that id (in any execution of
// the project, in any batch) is a duplicate that stores nothing. Another project may store the
// same id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/execution_rows.h"
#include "domain/model.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Stores the already validated `events` of `project`, in order. Executions named by the batch that
// do not exist are created first (status started, started_at = the earliest timestamp among the
// batch's events for it; counted against the quota as UpsertExecution does). An event whose id the
// project already stores is skipped and counted as a duplicate. Bumps the event count and revision
// of each execution that received events, and records the models of llm_call events for the
// drift history. Reports, per batch index, whether the event was stored, and every execution the
// batch named with its status at the time. Unavailable when the writer's remembered event ids are
// too far behind their merge into the index; the job must then fail, so that the executions created
// so far roll back with it.
// REQUIRES: no event id repeats within `events` (domain/model.h RemoveRepeatedEventIds).
Result<IngestResult> IngestEvents(WriteTxn& txn, int64_t project, const std::vector<Event>& events,
                                  int64_t now_ms);
// An event to move from the execution it is stored in to another of the same project.
struct EventMove {
  std::string event_id;
  int64_t sequence = 0;  // the event's, so that the execution's sequence index finds it
  std::string from_execution_id;
  std::string to_execution_id;
};
// Moves each event of `moves` that `project` stores in `from_execution_id` to `to_execution_id`
// (creating that execution as started when missing, at the earliest of the moves' sequences
// read as microseconds), keeping its id, and corrects both
// executions' event counts and revisions. A move out of or into a terminal execution is skipped:
// a terminal execution is sealed by the transparency log and its events and findings are final.
// An event stored elsewhere (or not at all) is skipped. Returns how many events moved.
Result<int64_t> MoveEvents(WriteTxn& txn, int64_t project, const std::vector<EventMove>& moves,
                           int64_t now_ms);
// A page of the project's execution `execution_id`'s events, by sequence then arrival; *total
// receives the execution's event count. nullopt when the project has no such execution.
Result<std::optional<std::vector<Event>>> ListEvents(Txn& txn, int64_t project,
                                                     const std::string& execution_id, int64_t limit,
                                                     int64_t offset, int64_t* total);

}  // namespace vigil::storage
