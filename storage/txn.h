// Transaction handles, and the conventions every storage function follows.
//
// A handle names an open transaction on one connection; it carries no behaviour of its own. The
// functions of each concept (storage/projects.h, keys.h, executions.h, events.h, detection.h,
// halts.h, webhooks.h, audit.h, billing.h, abuse.h, export.h, stats.h, database.h) take one first:
//   - `Txn&`      reads. They run on either side, so a write job can read what it is about to
//                 change in the same transaction.
//   - `WriteTxn&` writes: valid only inside a job passed to Store::Write (the writer thread, inside
//                 the job's savepoint of a group transaction).
//   - `ReadTxn&`  is what Store::Read hands out: one read transaction, a consistent snapshot.
//
// Conventions of those functions (a contract says so where one departs from them):
//   - Tenancy. The project's internal id comes right after the handle. A function that takes it
//     reads and writes only that project's rows: another project's row behaves exactly like a
//     missing one. A function without it is cross-tenant by design, and its contract says why.
//   - Absence is not an error: a missing row is nullopt, false, an empty list, or a no-op.
//   - Errors. A SQLite failure is mapped to a Status by GuardSqlite (storage/connection.h):
//     StorageFull on a full disk; StorageUnavailable when busy, locked or on an I/O error;
//     Internal otherwise. A job that returns a non-ok status is rolled back alone
//     (storage/store.h).
//   - `row` arguments are internal row ids that storage handed out (DetectionInput::row_id,
//     WebhookRow::row, ...). `*_ms` are milliseconds since the Unix epoch. Time comes in as
//     `now_ms`: the concept functions read no clock.
//   - Thread-safety. A handle, and any call that takes it, belongs to the thread that received it,
//     for the duration of the callback that received it. Handles are created by the engine only.
#pragma once

namespace vigil {

class Connection;
class RecentEventIds;

class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // The connection the transaction is open on (storage-internal: callers outside storage/ have
  // no definition of Connection).
  Connection* conn() const { return conn_; }

 protected:
  explicit Txn(Connection* conn) : conn_(conn) {}
  ~Txn() = default;

 private:
  Connection* conn_;
};

class ReadTxn : public Txn {
 public:
  explicit ReadTxn(Connection* conn) : Txn(conn) {}
};

class WriteTxn : public Txn {
 public:
  // `recent`: the ids of stored events not yet merged into the id index, which the writer's
  // transaction keeps in step with the events it stores (storage/recent_event_ids.h).
  WriteTxn(Connection* conn, RecentEventIds* recent) : Txn(conn), recent_(recent) {}

  RecentEventIds* recent() const { return recent_; }

 private:
  RecentEventIds* recent_;
};

}  // namespace vigil
