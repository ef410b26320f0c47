// Row <-> domain mapping shared by the read and write paths. Internal to storage/.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <string>

#include "domain/model.h"
#include "domain/status.h"

namespace vigil {

class Connection;

// Column list matching ReadExecutionRow, prefixed by the table alias `x`.
#define VIGIL_EXECUTION_COLUMNS                                                           \
  "x.id, x.execution_id, x.parent_execution_id, x.status, x.started_at, x.ended_at,"      \
  " x.duration_ms, x.total_tokens_in, x.total_tokens_out, x.estimated_cost_usd,"          \
  " x.input_summary, x.output_summary, x.crash_signature, x.sdk_version, x.sdk_language," \
  " x.failure_group_id, x.budget, x.halt_reason, x.halt_requested_at, x.event_count, x.revision"

struct ExecutionRow {
  int64_t id = 0;
  int64_t event_count = 0;
  int64_t revision = 0;
  Execution execution;
};

ExecutionRow ReadExecutionRow(SQLite::Statement& q);

#define VIGIL_EVENT_COLUMNS \
  "e.id, e.event_id, e.event_type, e.sequence, e.timestamp, e.duration_ms, e.payload"

// Reads an event row; `execution_id` is filled in by the caller.
Event ReadEventRow(SQLite::Statement& q);

// Bind a value that means "not provided" when zero/empty (spec §2.2) as SQL NULL.
void BindText(SQLite::Statement& q, int i, const std::string& v);
// Runs a retention DELETE whose two parameters are (cutoff ms, batch limit); returns rows deleted.
Result<int64_t> DeleteOlderBatch(Connection* conn, const char* sql, int64_t cutoff_ms,
                                 int64_t limit);

// A nullable text column, NULL read as "".
std::string Text(SQLite::Statement& q, int col);
void BindInt(SQLite::Statement& q, int i, int64_t v);
void BindReal(SQLite::Statement& q, int i, double v);

// Budgets are stored as compact `key=value` pairs; they are not part of any response.
std::string EncodeBudget(const Budget& b);
std::optional<Budget> DecodeBudget(const std::string& text);

}  // namespace vigil
