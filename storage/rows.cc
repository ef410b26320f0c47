#include "storage/rows.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "storage/connection.h"

namespace vigil {
namespace {

int64_t Int(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  return c.isNull() ? 0 : c.getInt64();
}
double Real(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  return c.isNull() ? 0 : c.getDouble();
}

}  // namespace

ExecutionRow ReadExecutionRow(SQLite::Statement& q) {
  ExecutionRow r;
  r.id = Int(q, 0);
  Execution& e = r.execution;
  e.execution_id = Text(q, 1);
  e.parent_execution_id = Text(q, 2);
  e.status = Text(q, 3);
  e.started_at_ms = Int(q, 4);
  e.ended_at_ms = Int(q, 5);
  e.duration_ms = Int(q, 6);
  e.total_tokens_in = Int(q, 7);
  e.total_tokens_out = Int(q, 8);
  e.estimated_cost_usd = Real(q, 9);
  e.input_summary = Text(q, 10);
  e.output_summary = Text(q, 11);
  e.crash_signature = Text(q, 12);
  e.sdk_version = Text(q, 13);
  e.sdk_language = Text(q, 14);
  e.failure_group_id = Text(q, 15);
  e.budget = DecodeBudget(Text(q, 16));
  e.halt_reason = Text(q, 17);
  e.halt_requested_at_ms = Int(q, 18);
  r.event_count = Int(q, 19);
  r.revision = Int(q, 20);
  return r;
}

Event ReadEventRow(SQLite::Statement& q) {
  Event ev;
  ev.arrival = Int(q, 0);
  ev.event_id = Text(q, 1);
  ev.event_type = Text(q, 2);
  ev.sequence = Int(q, 3);
  ev.timestamp_ms = Int(q, 4);
  ev.duration_ms = Int(q, 5);
  ev.payload_json = Text(q, 6);
  return ev;
}

void BindText(SQLite::Statement& q, int i, const std::string& v) {
  if (v.empty()) {
    q.bind(i);
  } else {
    q.bind(i, v);
  }
}

void BindInt(SQLite::Statement& q, int i, int64_t v) {
  if (v == 0) {
    q.bind(i);
  } else {
    q.bind(i, v);
  }
}

void BindReal(SQLite::Statement& q, int i, double v) {
  if (v == 0) {
    q.bind(i);
  } else {
    q.bind(i, v);
  }
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

std::string Text(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  return c.isNull() ? std::string() : c.getString();
}

Result<int64_t> DeleteOlderBatch(Connection* conn, const char* sql, int64_t cutoff_ms,
                                 int64_t limit) {
  int64_t n = 0;
  Status s = GuardSqlite([&] {
    auto& q = conn->Prepare(sql);
    q.bind(1, cutoff_ms);
    q.bind(2, limit);
    n = q.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

}  // namespace vigil
