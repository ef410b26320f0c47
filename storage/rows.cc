#include "storage/rows.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "domain/time_util.h"
#include "storage/connection.h"

namespace vigil {

ExecutionRow ReadExecutionRow(SQLite::Statement& q) {
  ExecutionRow r;
  Execution& e = r.execution;
  ReadColumns(q, 0, r.id, e.execution_id, e.parent_execution_id, e.status, e.started_at_ms,
              e.ended_at_ms, e.duration_ms, e.total_tokens_in, e.total_tokens_out,
              e.estimated_cost_usd, e.input_summary, e.output_summary, e.crash_signature,
              e.sdk_version, e.sdk_language, e.failure_group_id);
  e.budget = DecodeBudget(Text(q, 16));
  ReadColumns(q, 17, e.halt_reason, e.halt_requested_at_ms, r.event_count, r.revision, e.name,
              e.code_version, e.container_digest);
  return r;
}

std::optional<ExecutionRow> FindExecutionRow(Connection* conn, int64_t project,
                                             const std::string& execution_id) {
  return FirstRow(Prepared(conn,
                           "SELECT " VIGIL_EXECUTION_COLUMNS
                           " FROM executions x WHERE x.project = ? AND x.execution_id = ?",
                           project, execution_id),
                  ReadExecutionRow);
}

Event ReadEventRow(SQLite::Statement& q) {
  Event ev;
  ReadColumns(q, 0, ev.arrival, ev.event_id, ev.event_type, ev.sequence, ev.timestamp_ms,
              ev.duration_ms, ev.payload_json);
  ev.type = EventTypeOf(ev.event_type);
  return ev;
}

std::vector<Event> LoadEventsOf(Connection* conn, int64_t project, int64_t execution_row,
                                const std::string& execution_id, int64_t limit, int64_t offset) {
  auto& q = Prepared(conn,
                     "SELECT " VIGIL_EVENT_COLUMNS
                     " FROM events e WHERE e.project = ? AND e.execution = ?"
                     " ORDER BY e.sequence, e.id LIMIT ? OFFSET ?",
                     project, execution_row, limit, offset);
  std::vector<Event> events;
  while (q.executeStep()) {
    events.push_back(ReadEventRow(q));
    events.back().execution_id = execution_id;
  }
  return events;
}

// Events LoadEventsOf sets aside before it has read them (see there).
constexpr int64_t kEventsReservedAtMost = 4096;

std::vector<Event> LoadEventsOf(Connection* conn, int64_t project, int64_t execution_row,
                                const std::string& execution_id, int64_t expected,
                                const std::function<storage::EventRead(Event&)>& prepare) {
  auto& q = Prepared(conn,
                     "SELECT " VIGIL_EVENT_COLUMNS
                     " FROM events e WHERE e.project = ? AND e.execution = ?"
                     " ORDER BY e.sequence, e.id",
                     project, execution_row);
  std::vector<Event> events;
  while (q.executeStep()) {
    Event ev = ReadEventRow(q);
    ev.execution_id = execution_id;
    const storage::EventRead step = prepare(ev);
    if (step == storage::EventRead::kKeep) {
      // The count is a hint, set aside at the first kept event and only up to a few thousand: a
      // reader may keep far fewer than are stored (a pass judges a prefix, the sealer keeps none),
      // and a wrong hint costs a reallocation, never a wrong answer.
      if (events.empty() && expected > 0) {
        events.reserve(static_cast<size_t>(std::min<int64_t>(expected, kEventsReservedAtMost)));
      }
      events.push_back(std::move(ev));
    }
    if (step == storage::EventRead::kStop) break;
  }
  q.tryReset();  // a statement stopped early would otherwise hold its read open
  return events;
}

StoredFinding ReadFindingRow(SQLite::Statement& q, int first) {
  StoredFinding f;
  ReadColumns(q, first, f.detector, f.priority, f.failure_class, f.signature, f.group_id,
              f.detected_at_ms, f.source, f.detail);
  return f;
}

WebhookAttemptRow ReadDeliveryRow(SQLite::Statement& q, int first) {
  WebhookAttemptRow a;
  ReadColumns(q, first, a.delivery_id, a.event, a.failure_class, a.signature, a.group_id, a.attempt,
              a.status, a.http_status, a.error, a.response_body, a.duration_ms, a.created_at_ms,
              a.next_attempt_at_ms);
  return a;
}

std::string EncodeBudget(const Budget& b) {
  std::string out;
  auto add = [&out](const char* k, const std::string& v) {
    if (!out.empty()) out += ',';
    out += k;
    out += '=';
    out += v;
  };
  char buf[40];
  if (b.max_duration_ms) add("max_duration_ms", std::to_string(*b.max_duration_ms));
  if (b.max_steps) add("max_steps", std::to_string(*b.max_steps));
  if (b.max_llm_calls) add("max_llm_calls", std::to_string(*b.max_llm_calls));
  if (b.max_cost_usd) {
    std::snprintf(buf, sizeof(buf), "%.17g", *b.max_cost_usd);
    add("max_cost_usd", buf);
  }
  if (b.auto_halt) add("auto_halt", *b.auto_halt ? "1" : "0");
  return out.empty() ? "-" : out;  // "-" = a budget was sent but declared no limit
}

std::optional<Budget> DecodeBudget(const std::string& text) {
  if (text.empty()) return std::nullopt;
  Budget b;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "max_duration_ms") b.max_duration_ms = std::strtoll(v.c_str(), nullptr, 10);
    if (k == "max_steps") b.max_steps = std::strtoll(v.c_str(), nullptr, 10);
    if (k == "max_llm_calls") b.max_llm_calls = std::strtoll(v.c_str(), nullptr, 10);
    if (k == "max_cost_usd") b.max_cost_usd = std::strtod(v.c_str(), nullptr);
    if (k == "auto_halt") b.auto_halt = v == "1";
  }
  return b;
}

void BindExecutionFields(SQLite::Statement& q, const Execution& e) {
  BindText(q, 1, e.parent_execution_id);
  BindParam(q, 2, e.status);
  q.bind(3, e.started_at_ms);
  BindInt(q, 4, e.ended_at_ms);
  BindInt(q, 5, e.duration_ms);
  BindInt(q, 6, e.total_tokens_in);
  BindInt(q, 7, e.total_tokens_out);
  BindReal(q, 8, e.estimated_cost_usd);
  BindText(q, 9, e.input_summary);
  BindText(q, 10, e.output_summary);
  BindText(q, 11, e.crash_signature);
  BindText(q, 12, e.sdk_version);
  BindText(q, 13, e.sdk_language);
  BindText(q, 14, e.failure_group_id);
  BindText(q, 15, e.budget ? EncodeBudget(*e.budget) : std::string());
  BindText(q, 16, e.halt_reason);
  BindInt(q, 17, e.halt_requested_at_ms);
  BindText(q, 18, e.name);
  BindText(q, 19, e.code_version);
  BindText(q, 20, e.container_digest);
}

int64_t InsertExecutionRow(Connection* conn, int64_t project, const Execution& e, int64_t now_ms) {
  auto& ins = conn->Prepare(
      "INSERT INTO executions(parent_execution_id, status, started_at, ended_at, duration_ms,"
      " total_tokens_in, total_tokens_out, estimated_cost_usd, input_summary, output_summary,"
      " crash_signature, sdk_version, sdk_language, failure_group_id, budget, halt_reason,"
      " halt_requested_at, name, code_version, container_digest, project, execution_id,"
      " received_at, last_received_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?23, ?23)");
  BindExecutionFields(ins, e);
  ins.bind(21, project);
  ins.bind(22, e.execution_id);
  ins.bind(23, now_ms);
  ins.exec();
  const int64_t id = conn->db().getLastInsertRowid();
  // Quota accounting: once per execution, when its row is created by any path
  // (docs/protocol.md#the-merge-rule). A project without a Stripe period counts per UTC calendar
  // month: the first execution of a new month starts the count again.
  Exec(conn,
       "UPDATE projects SET"
       " executions_this_period = CASE WHEN current_period_start IS NULL"
       "   AND COALESCE(usage_month_start, 0) < ?1 THEN 1 ELSE executions_this_period + 1 END,"
       " usage_month_start = CASE WHEN current_period_start IS NULL THEN ?1"
       "   ELSE usage_month_start END"
       " WHERE id = ?2",
       MonthStartMs(now_ms), project);
  return id;
}

}  // namespace vigil
