// Events: batched ingestion with per-project event-id uniqueness, pages on read (storage/events.h).
#include "storage/events.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "domain/merge.h"
#include "storage/connection.h"
#include "storage/recent_event_ids.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

// One execution named by a batch.
struct Target {
  const std::string* execution_id = nullptr;
  int64_t row_id = 0;
  int64_t min_timestamp_ms = 0;
  int64_t inserted = 0;
  bool terminal = false;
};

// The executions of a batch in order of first appearance; `of[i]` indexes event i's.
struct Targets {
  std::vector<Target> list;
  std::vector<size_t> of;
};

// Latest timestamp per (execution, model) of the stored llm_calls: the model-drift history. A batch
// names few distinct pairs, so a linear scan beats hashing a key per event.
struct ModelSeen {
  int64_t row;
  const std::string* model;
  int64_t last_ms;
};

// Resolves each execution once per batch, in order of first appearance.
Targets GroupByExecution(const std::vector<Event>& events) {
  Targets t;
  t.of.resize(events.size());
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& ev = events[i];
    // SDKs send runs of one execution's events: the previous event's target is the likely one,
    // and comparing to it spares hashing the id on this (the writer) thread.
    size_t k;
    if (i > 0 && ev.execution_id == events[i - 1].execution_id) {
      k = t.of[i - 1];
    } else {
      auto [it, fresh] = index.try_emplace(ev.execution_id, t.list.size());
      if (fresh) t.list.push_back(Target{&ev.execution_id, 0, ev.timestamp_ms, 0, false});
      k = it->second;
    }
    Target& target = t.list[k];
    target.min_timestamp_ms = std::min(target.min_timestamp_ms, ev.timestamp_ms);
    t.of[i] = k;
  }
  return t;
}

// Finds each target's execution, creating the missing ones; returns how many it created.
int64_t ResolveExecutions(Connection* conn, int64_t project, int64_t now_ms,
                          std::vector<Target>* targets) {
  int64_t created = 0;
  for (Target& t : *targets) {
    auto& q =
        Prepared(conn, "SELECT id, status FROM executions WHERE project = ? AND execution_id = ?",
                 project, *t.execution_id);
    if (q.executeStep()) {
      t.row_id = q.getColumn(0).getInt64();
      t.terminal = IsTerminal(ExecutionStatusColumn(q, 1));
      continue;
    }
    // Events may arrive before their execution: create it (status started,
    // docs/protocol.md#the-merge-rule).
    ExecutionPatch patch;
    patch.execution_id = *t.execution_id;
    Execution e = MergeExecution(std::nullopt, patch, t.min_timestamp_ms, now_ms);
    t.row_id = InsertExecutionRow(conn, project, e, now_ms);
    ++created;
  }
  return created;
}

void NoteModel(const Event& ev, int64_t row, std::vector<ModelSeen>* models) {
  if (ev.type != EventType::kLlmCall || !ev.fields.model || ev.fields.model->empty()) return;
  auto m = std::find_if(models->begin(), models->end(), [&](const ModelSeen& x) {
    return x.row == row && *x.model == *ev.fields.model;
  });
  if (m == models->end()) {
    models->push_back({row, &*ev.fields.model, ev.timestamp_ms});
  } else {
    m->last_ms = std::max(m->last_ms, ev.timestamp_ms);
  }
}

// Stores the events whose ids the project does not store yet (first write wins: an id already
// stored is a duplicate, docs/api.md#send-events), staging each new id with the remembered ones.
void InsertNewEvents(WriteTxn& txn, int64_t project, const std::vector<Event>& events,
                     Targets* targets, IngestResult* out, std::vector<ModelSeen>* models) {
  Connection* conn = txn.conn();
  RecentEventIds* recent = txn.recent();
  auto& ins = conn->Prepare(
      "INSERT INTO events(id, project, execution, event_id, event_type, sequence, timestamp,"
      " duration_ms, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  std::string key;
  uint64_t hash = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& ev = events[i];
    Target& t = targets->list[targets->of[i]];
    if (EventIdStored(conn, recent, project, ev.event_id, &key, &hash)) {
      ++out->duplicates;
      continue;
    }
    const int64_t row = recent->NextRow();
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
    recent->Stage(key, hash, row);
    ++out->accepted;
    ++t.inserted;
    out->inserted[i] = true;
    NoteModel(ev, t.row_id, models);
  }
}

void RecordModelUsage(Connection* conn, int64_t project, const std::vector<ModelSeen>& models) {
  auto& usage = conn->Prepare(
      "INSERT INTO model_usage(project, execution, model, last_seen) VALUES (?, ?, ?, ?)"
      " ON CONFLICT(execution, model) DO UPDATE SET"
      " last_seen = max(last_seen, excluded.last_seen)");
  for (const ModelSeen& m : models) {
    usage.reset();
    BindAll(usage, project, m.row, *m.model, m.last_ms);
    usage.exec();
  }
}

// Adds what the batch stored to each execution's event count (and revision), records `now_ms` as
// its last receipt, and reports every execution the batch named.
void CountInserted(Connection* conn, int64_t project, int64_t now_ms,
                   const std::vector<Target>& targets, IngestResult* out) {
  auto& cnt = conn->Prepare(
      "UPDATE executions SET event_count = event_count + ?, revision = revision + 1,"
      " last_received_at = ? WHERE project = ? AND id = ?");
  for (const Target& t : targets) {
    out->touched.push_back({*t.execution_id, t.row_id, t.terminal, t.inserted});
    if (t.inserted == 0) continue;
    cnt.reset();
    BindAll(cnt, t.inserted, now_ms, project, t.row_id);
    cnt.exec();
  }
}

}  // namespace

Result<IngestResult> IngestEvents(WriteTxn& txn, int64_t project, const std::vector<Event>& events,
                                  int64_t now_ms) {
  return Query<IngestResult>([&](IngestResult& out) {
    Targets targets = GroupByExecution(events);
    out.created_executions = ResolveExecutions(txn.conn(), project, now_ms, &targets.list);
    out.inserted.assign(events.size(), false);
    // Merges that keep failing would let the remembered ids grow without bound: refuse instead.
    if (txn.recent()->Full()) return Status::Unavailable("event id index is behind, retry later");
    std::vector<ModelSeen> models;
    InsertNewEvents(txn, project, events, &targets, &out, &models);
    RecordModelUsage(txn.conn(), project, models);
    CountInserted(txn.conn(), project, now_ms, targets.list, &out);
    return Status::Ok();
  });
}

Result<std::optional<std::vector<Event>>> ListEvents(Txn& txn, int64_t project,
                                                     const std::string& execution_id, int64_t limit,
                                                     int64_t offset, int64_t* total) {
  return Query<std::optional<std::vector<Event>>>([&](std::optional<std::vector<Event>>& out) {
    auto& q = Prepared(
        txn.conn(), "SELECT id, event_count FROM executions WHERE project = ? AND execution_id = ?",
        project, execution_id);
    if (!q.executeStep()) return Status::Ok();
    const int64_t row_id = q.getColumn(0).getInt64();
    *total = q.getColumn(1).getInt64();
    out = LoadEventsOf(txn.conn(), project, row_id, execution_id, limit, offset);
    return Status::Ok();
  });
}

}  // namespace vigil::storage
