// Aggregates over a project's executions, events and findings, for the dashboard, the usage
// report and the abuse monitor's baseline. They read several concepts at once, so they live here
// rather than with any one of them.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "domain/execution_rows.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Execution counts (all, completed, crashed in the 24 h before `now_ms`) and the number of failure
// groups holding findings.
Result<ProjectStats> GetStats(Txn& txn, int64_t project, int64_t now_ms);
// Sums per time bucket for the dashboard's plots: `metric` is one of executions, failures, events,
// cost_usd (anything else is read as cost_usd); buckets start at multiples of `bucket_ms` in
// [since_ms, until_ms). Returns (bucket start, value) for non-empty buckets only, ascending.
// REQUIRES: bucket_ms > 0.
Result<std::vector<std::pair<int64_t, double>>> TimeSeries(Txn& txn, int64_t project,
                                                           const std::string& metric,
                                                           int64_t bucket_ms, int64_t since_ms,
                                                           int64_t until_ms);
// Executions with started_at in [since_ms, until_ms] per UTC day: (day start ms, count), ascending,
// non-empty days only.
Result<std::vector<std::pair<int64_t, int64_t>>> ExecutionsPerDay(Txn& txn, int64_t project,
                                                                  int64_t since_ms,
                                                                  int64_t until_ms);
// Executions of the project with started_at in [since_ms, until_ms).
Result<int64_t> CountExecutionsStarted(Txn& txn, int64_t project, int64_t since_ms,
                                       int64_t until_ms);

}  // namespace vigil::storage
