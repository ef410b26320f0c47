// Row <-> domain mapping shared by the concept sources (how a statement runs: storage/sql.h).
// Internal to storage/.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/detection_rows.h"
#include "domain/model.h"
#include "domain/webhook.h"
#include "storage/detection.h"
#include "storage/sql.h"

namespace vigil {

class Connection;

// Column list matching ReadExecutionRow, prefixed by the table alias `x`.
#define VIGIL_EXECUTION_COLUMNS                                                           \
  "x.id, x.execution_id, x.parent_execution_id, x.status, x.started_at, x.ended_at,"      \
  " x.duration_ms, x.total_tokens_in, x.total_tokens_out, x.estimated_cost_usd,"          \
  " x.input_summary, x.output_summary, x.crash_signature, x.sdk_version, x.sdk_language," \
  " x.failure_group_id, x.budget, x.halt_reason, x.halt_requested_at, x.event_count,"     \
  " x.revision, x.name, x.code_version, x.container_digest"

struct ExecutionRow {
  int64_t id = 0;
  int64_t event_count = 0;
  int64_t revision = 0;
  Execution execution;
};

ExecutionRow ReadExecutionRow(SQLite::Statement& q);

// The execution `execution_id` of `project`, or nullopt. Throws SQLite::Exception.
std::optional<ExecutionRow> FindExecutionRow(Connection* conn, int64_t project,
                                             const std::string& execution_id);

// Binds the stored fields of `e` to parameters 1..20, in the column order of InsertExecutionRow
// and of the UPDATE in storage/executions.cc.
void BindExecutionFields(SQLite::Statement& q, const Execution& e);
// Inserts the execution `e` of `project`, received at `now_ms` (the server's clock), and counts it
// against the project's quota (once per execution, whichever path creates it); returns its row
// id. Throws SQLite::Exception.
int64_t InsertExecutionRow(Connection* conn, int64_t project, const Execution& e, int64_t now_ms);

#define VIGIL_EVENT_COLUMNS \
  "e.id, e.event_id, e.event_type, e.sequence, e.timestamp, e.duration_ms, e.payload"

// Reads an event row; `execution_id` is filled in by the caller.
Event ReadEventRow(SQLite::Statement& q);
// The events of the execution at row `execution_row` (public id `execution_id`) of `project`, in
// sequence order, skipping `offset` and keeping at most `limit` of them (-1: all). Throws
// SQLite::Exception.
std::vector<Event> LoadEventsOf(Connection* conn, int64_t project, int64_t execution_row,
                                const std::string& execution_id, int64_t limit = -1,
                                int64_t offset = 0);
// The events of that execution in the same order, each passed through `prepare` as it is read,
// which says whether to keep it and whether to read on (storage::EventRead), so a caller that
// needs only part of each event, or only some events, never holds them all whole. `expected` (the
// stored event count) sizes the vector once. Throws SQLite::Exception.
std::vector<Event> LoadEventsOf(Connection* conn, int64_t project, int64_t execution_row,
                                const std::string& execution_id, int64_t expected,
                                const std::function<storage::EventRead(Event&)>& prepare);

// Column list matching ReadFindingRow, prefixed by the table alias `f`.
#define VIGIL_FINDING_COLUMNS                                                        \
  "f.detector, f.priority, f.failure_class, f.signature, f.group_id, f.detected_at," \
  " f.source, f.detail"
// Reads the finding whose columns start at `first`; ReadFinding, when they come first.
StoredFinding ReadFindingRow(SQLite::Statement& q, int first);
inline StoredFinding ReadFinding(SQLite::Statement& q) { return ReadFindingRow(q, 0); }

// Column list matching ReadDeliveryRow (a delivery log row), prefixed by the table alias `d`.
#define VIGIL_DELIVERY_COLUMNS                                                             \
  "d.delivery_id, d.event, d.failure_class, d.signature, d.group_id, d.attempt, d.status," \
  " d.http_status, d.error, d.response_body, d.duration_ms, d.created_at, d.next_attempt_at"
// Reads the delivery log row whose columns start at `first`; ReadDelivery, when they come first.
WebhookAttemptRow ReadDeliveryRow(SQLite::Statement& q, int first);
inline WebhookAttemptRow ReadDelivery(SQLite::Statement& q) { return ReadDeliveryRow(q, 0); }

// Budgets are stored as compact `key=value` pairs; they are not part of any response.
std::string EncodeBudget(const Budget& b);
std::optional<Budget> DecodeBudget(const std::string& text);

}  // namespace vigil
