#include <sqlite3.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "domain/time_util.h"
#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace vigil {
namespace {

// Binds the merged fields of `e` to parameters 1..18 in the order of the INSERT/UPDATE below.
void BindExecutionFields(SQLite::Statement& q, const Execution& e) {
  BindText(q, 1, e.parent_execution_id);
  q.bind(2, e.status);
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
}

// The next internal project id: past every id ever handed out (id_sequences), never a reused one.
#define VIGIL_NEXT_PROJECT_ID                                    \
  "MAX((SELECT last FROM id_sequences WHERE name = 'projects')," \
  " (SELECT COALESCE(MAX(id), 0) FROM projects)) + 1"

// Records the id just inserted as the high-water mark (same transaction as the insert).
void AdvanceProjectSequence(Connection* conn) {
  auto& q = conn->Prepare("UPDATE id_sequences SET last = ? WHERE name = 'projects'");
  q.bind(1, conn->db().getLastInsertRowid());
  q.exec();
}

const char kSelectExecution[] = "SELECT " VIGIL_EXECUTION_COLUMNS
                                " FROM executions x WHERE x.project = ? AND x.execution_id = ?";

}  // namespace

Result<int64_t> WriteTxn::EnsureProject(const std::string& project_id, const std::string& name,
                                        const std::string& tier, int64_t now_ms) {
  int64_t id = 0;
  Status s = GuardSqlite([&] {
    auto& ins = conn_->Prepare(
        "INSERT INTO projects(id, project_id, name, tier, created_at) VALUES "
        "(" VIGIL_NEXT_PROJECT_ID ", ?, ?, ?, ?) ON CONFLICT(project_id) DO NOTHING");
    ins.bind(1, project_id);
    ins.bind(2, name);
    ins.bind(3, tier);
    ins.bind(4, now_ms);
    if (ins.exec() == 1) AdvanceProjectSequence(conn_);
    auto& q = conn_->Prepare("SELECT id FROM projects WHERE project_id = ?");
    q.bind(1, project_id);
    if (!q.executeStep()) return Status::Internal("project vanished after insert");
    id = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<int64_t> WriteTxn::CreateProject(const std::string& project_id, const std::string& name,
                                        const std::string& owner_email, const std::string& tier,
                                        int64_t now_ms) {
  int64_t id = 0;
  Status s = GuardSqlite([&] {
    auto& ins = conn_->Prepare(
        "INSERT INTO projects(id, project_id, name, owner_email, tier, created_at) "
        "VALUES (" VIGIL_NEXT_PROJECT_ID ", ?, ?, ?, ?, ?) ON CONFLICT(project_id) DO NOTHING");
    ins.bind(1, project_id);
    ins.bind(2, name);
    ins.bind(3, owner_email);
    ins.bind(4, tier);
    ins.bind(5, now_ms);
    if (ins.exec() != 1) return Status::Conflict("project id already exists");
    id = conn_->db().getLastInsertRowid();
    AdvanceProjectSequence(conn_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Status WriteTxn::UpsertKey(int64_t project, const std::string& key_id, const std::string& key_hash,
                           const std::string& key_prefix, const std::string& name, int64_t now_ms) {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare(
        "INSERT INTO api_keys(key_id, project, key_hash, key_prefix, name, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET "
        "key_hash = excluded.key_hash, key_prefix = excluded.key_prefix, name = excluded.name "
        "WHERE api_keys.project = excluded.project");
    q.bind(1, key_id);
    q.bind(2, project);
    q.bind(3, key_hash);
    q.bind(4, key_prefix);
    q.bind(5, name);
    q.bind(6, now_ms);
    q.exec();
    return Status::Ok();
  });
}

Result<int64_t> WriteTxn::CreateExecutionRow(int64_t project, const Execution& e, int64_t now_ms) {
  auto& ins = conn_->Prepare(
      "INSERT INTO executions(parent_execution_id, status, started_at, ended_at, duration_ms,"
      " total_tokens_in, total_tokens_out, estimated_cost_usd, input_summary, output_summary,"
      " crash_signature, sdk_version, sdk_language, failure_group_id, budget, halt_reason,"
      " halt_requested_at, project, execution_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  BindExecutionFields(ins, e);
  ins.bind(18, project);
  ins.bind(19, e.execution_id);
  ins.exec();
  const int64_t id = conn_->db().getLastInsertRowid();
  // Quota accounting: once per execution, when its row is created by any path (spec §5.2). A
  // project without a Stripe period counts per UTC calendar month: the first execution of a new
  // month starts the count again.
  auto& quota = conn_->Prepare(
      "UPDATE projects SET"
      " executions_this_period = CASE WHEN current_period_start IS NULL"
      "   AND COALESCE(usage_month_start, 0) < ?1 THEN 1 ELSE executions_this_period + 1 END,"
      " usage_month_start = CASE WHEN current_period_start IS NULL THEN ?1"
      "   ELSE usage_month_start END"
      " WHERE id = ?2");
  quota.bind(1, MonthStartMs(now_ms));
  quota.bind(2, project);
  quota.exec();
  return id;
}

Result<UpsertResult> WriteTxn::UpsertExecution(int64_t project, const ExecutionPatch& patch,
                                               int64_t now_ms) {
  UpsertResult out;
  Status s = GuardSqlite([&] {
    auto& q = conn_->Prepare(kSelectExecution);
    q.bind(1, project);
    q.bind(2, patch.execution_id);
    std::optional<Execution> stored;
    int64_t row_id = 0;
    if (q.executeStep()) {
      ExecutionRow row = ReadExecutionRow(q);
      row_id = row.id;
      stored = std::move(row.execution);
    }
    q.reset();
    out.execution = MergeExecution(stored, patch, now_ms, now_ms);
    out.execution.project_id.clear();
    out.status = out.execution.status;
    out.created = !stored.has_value();
    if (out.created) {
      auto id = CreateExecutionRow(project, out.execution, now_ms);
      if (!id.ok()) return id.status();
    } else {
      auto& upd = conn_->Prepare(
          "UPDATE executions SET parent_execution_id = ?, status = ?, started_at = ?,"
          " ended_at = ?, duration_ms = ?, total_tokens_in = ?, total_tokens_out = ?,"
          " estimated_cost_usd = ?, input_summary = ?, output_summary = ?, crash_signature = ?,"
          " sdk_version = ?, sdk_language = ?, failure_group_id = ?, budget = ?, halt_reason = ?,"
          " halt_requested_at = ?, revision = revision + 1 WHERE project = ? AND id = ?");
      BindExecutionFields(upd, out.execution);
      upd.bind(18, project);
      upd.bind(19, row_id);
      upd.exec();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<IngestResult> WriteTxn::IngestEvents(int64_t project, const std::vector<Event>& events,
                                            int64_t now_ms) {
  IngestResult out;
  Status s = GuardSqlite([&] {
    // Resolve (or create) each execution once per batch, in order of first appearance.
    struct Target {
      int64_t row_id = 0;
      int64_t min_timestamp_ms = 0;
      int64_t inserted = 0;
      bool terminal = false;
    };
    // targets[target_of[i]] is event i's execution; targets are in order of first appearance.
    std::vector<Target> targets;
    std::vector<const std::string*> order;
    std::vector<size_t> target_of(events.size());
    {
      std::unordered_map<std::string_view, size_t> index;
      for (size_t i = 0; i < events.size(); ++i) {
        const Event& ev = events[i];
        // SDKs send runs of one execution's events: the previous event's target is the likely
        // one, and comparing to it spares hashing the id on this (the writer) thread.
        size_t k;
        if (i > 0 && ev.execution_id == events[i - 1].execution_id) {
          k = target_of[i - 1];
        } else {
          auto [it, fresh] = index.try_emplace(ev.execution_id, targets.size());
          if (fresh) {
            targets.push_back(Target{0, ev.timestamp_ms, 0, false});
            order.push_back(&ev.execution_id);
          }
          k = it->second;
        }
        Target& t = targets[k];
        t.min_timestamp_ms = std::min(t.min_timestamp_ms, ev.timestamp_ms);
        target_of[i] = k;
      }
    }
    for (size_t k = 0; k < order.size(); ++k) {
      const std::string* id = order[k];
      Target& t = targets[k];
      auto& q = conn_->Prepare(
          "SELECT id, status FROM executions WHERE project = ? AND execution_id = ?");
      q.bind(1, project);
      q.bind(2, *id);
      if (q.executeStep()) {
        t.row_id = q.getColumn(0).getInt64();
        t.terminal = IsTerminalStatus(q.getColumn(1).getString());
        continue;
      }
      // Events may arrive before their execution: create it (status started, spec §5.2).
      ExecutionPatch patch;
      patch.execution_id = *id;
      Execution e = MergeExecution(std::nullopt, patch, t.min_timestamp_ms, now_ms);
      auto row = CreateExecutionRow(project, e, now_ms);
      if (!row.ok()) return row.status();
      t.row_id = row.value();
      ++out.created_executions;
    }
    auto& ins = conn_->Prepare(
        "INSERT INTO events(id, project, execution, event_id, event_type, sequence, timestamp,"
        " duration_ms, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    out.inserted.assign(events.size(), false);
    // Merges that keep failing would let the remembered ids grow without bound: refuse instead.
    if (recent_->Full()) return Status::Unavailable("event id index is behind, retry later");
    std::string key;
    uint64_t hash = 0;
    // Latest timestamp per (execution, model) of the stored llm_calls: the model-drift history.
    // A batch names few distinct pairs, so a linear scan beats hashing a key per event.
    struct ModelSeen {
      int64_t row;
      const std::string* model;
      int64_t last_ms;
    };
    std::vector<ModelSeen> models;
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& ev = events[i];
      Target& t = targets[target_of[i]];
      // First write wins: an id the project already stores is a duplicate (spec §5.5).
      if (EventIdStored(project, ev.event_id, &key, &hash)) {
        ++out.duplicates;
        continue;
      }
      const int64_t row = recent_->NextRow();
      ins.reset();  // every parameter is bound again below
      ins.bind(1, row);
      ins.bind(2, project);
      ins.bind(3, t.row_id);
      ins.bindNoCopy(4, ev.event_id);
      ins.bindNoCopy(5, ev.event_type);
      ins.bind(6, ev.sequence);
      ins.bind(7, ev.timestamp_ms);
      BindInt(ins, 8, ev.duration_ms);
      ins.bindNoCopy(9, ev.payload_json);
      ins.exec();
      recent_->Stage(key, hash, row);
      ++out.accepted;
      ++t.inserted;
      out.inserted[i] = true;
      if (ev.event_type == "llm_call" && ev.fields.model && !ev.fields.model->empty()) {
        auto m = std::find_if(models.begin(), models.end(), [&](const ModelSeen& x) {
          return x.row == t.row_id && *x.model == *ev.fields.model;
        });
        if (m == models.end()) {
          models.push_back({t.row_id, &*ev.fields.model, ev.timestamp_ms});
        } else {
          m->last_ms = std::max(m->last_ms, ev.timestamp_ms);
        }
      }
    }
    auto& usage = conn_->Prepare(
        "INSERT INTO model_usage(project, execution, model, last_seen) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(execution, model) DO UPDATE SET"
        " last_seen = max(last_seen, excluded.last_seen)");
    for (const ModelSeen& m : models) {
      usage.reset();
      usage.bind(1, project);
      usage.bind(2, m.row);
      usage.bindNoCopy(3, *m.model);
      usage.bind(4, m.last_ms);
      usage.exec();
    }
    auto& cnt = conn_->Prepare(
        "UPDATE executions SET event_count = event_count + ?, revision = revision + 1"
        " WHERE project = ? AND id = ?");
    for (size_t k = 0; k < order.size(); ++k) {
      const Target& t = targets[k];
      out.touched.push_back({*order[k], t.row_id, t.terminal, t.inserted});
      if (t.inserted == 0) continue;
      cnt.reset();
      cnt.clearBindings();
      cnt.bind(1, t.inserted);
      cnt.bind(2, project);
      cnt.bind(3, t.row_id);
      cnt.exec();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status WriteTxn::TouchKeys(const std::vector<std::pair<std::string, int64_t>>& key_last_used) {
  return GuardSqlite([&] {
    auto& q = conn_->Prepare("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?");
    for (const auto& [key_id, at] : key_last_used) {
      q.reset();
      q.bind(1, at);
      q.bind(2, key_id);
      q.exec();
    }
    return Status::Ok();
  });
}

}  // namespace vigil
