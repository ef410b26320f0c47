// Executions of a project: the merge rule applied on every write, filtered lists and the detail
// view on read, and retention's deletes.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h. Executions are unique per
// (project, execution_id); two projects may use the same execution_id without seeing each other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/execution_rows.h"
#include "domain/merge.h"
#include "domain/model.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Applies the merge rule (domain/merge.h MergeExecution, receive time `now_ms`) to the project's
// execution `patch.execution_id`, creating it when missing. Creating one counts it against the
// project's quota for the period, exactly once per execution whichever path creates it (this or
// IngestEvents). Every write bumps the execution's revision. Returns the stored state after the
// merge and whether this call created it. `now_ms` is also recorded as the execution's last
// receipt (and, when this call creates it, its first).
Result<UpsertResult> UpsertExecution(WriteTxn& txn, int64_t project, const ExecutionPatch& patch,
                                     int64_t now_ms);
// One page of the project's executions matching every set field of `filter` (AND), newest
// started first, then by execution id.
Result<std::vector<Execution>> ListExecutions(Txn& txn, int64_t project,
                                              const ExecutionFilter& filter);
// The execution with its first `max_events` events (by sequence, then arrival), the total event
// count, its findings by priority, and the llm_call token sums when it stores no totals; nullopt
// when the project has no such execution.
Result<std::optional<ExecutionDetail>> GetExecution(Txn& txn, int64_t project,
                                                    const std::string& execution_id,
                                                    int64_t max_events);
// Deletes at most `limit` executions of `project` whose last write the server received before
// `cutoff_ms` (its own clock, never the client's timestamps), with their events, findings and
// model history (cascade). Returns how many.
Result<int64_t> PruneExecutions(WriteTxn& txn, int64_t project, int64_t cutoff_ms, int64_t limit);

}  // namespace vigil::storage
