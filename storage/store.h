// The storage engine: the only code that opens the SQLite file.
//
// Shape (see storage/DESIGN.md): one writer connection owned by a writer thread that commits the
// jobs waiting in a bounded queue together (group commit, one savepoint per job), a pool of
// read-only connections for queries, and a checkpointer thread that keeps the WAL short off the
// write path. What a job or a read does with its transaction is spelled by the functions of each
// concept (storage/projects.h, keys.h, executions.h, events.h, detection.h, halts.h, webhooks.h,
// audit.h, billing.h, abuse.h, export.h, stats.h); every one that touches tenant rows takes the
// project's internal id right after the transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "domain/audit.h"
#include "domain/status.h"
#include "storage/options.h"
#include "storage/txn.h"

namespace vigil {

class Store {
 public:
  // Opens (creating the file and its directory if needed), applies migrations, starts the writer
  // and checkpointer threads. Fails, with a message naming the file, when the file fails the
  // start-up checks (storage/preflight.h: empty, not a database, damaged, not writable), when its
  // schema is newer than the binary's migrations (Conflict), or with the SQLite error mapped to a
  // Status (storage/connection.h) when it cannot be opened or a migration fails.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  // Close()s.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `job` on the writer thread inside its own savepoint of a group transaction and waits for
  // the commit. A non-ok job status rolls back that job alone. Returns Overloaded ("server busy")
  // when the queue is full or the job could not start within the busy timeout, and the commit's
  // error when the group transaction fails: nothing of a job is durable unless Write returns its
  // own status after the commit. Thread-safe.
  Status Write(std::function<Status(WriteTxn&)> job);
  // Like Write but does not wait; dropped (returns false) when the queue is full or the store is
  // closing. Thread-safe.
  bool WriteAsync(std::function<Status(WriteTxn&)> job);
  // Queues an audit row; the writer commits queued rows with its next group (at most ~200 ms
  // later), so recording a request never costs a synchronous write. Past the buffer bound the row
  // is dropped and counted (AuditDropped). Thread-safe.
  void AppendAudit(AuditEntry entry);
  // Runs `fn` on a pooled read-only connection inside a read transaction (one consistent
  // snapshot). Returns Overloaded when no connection frees up within the busy timeout, else what
  // `fn` returned (or the SQLite error that ended the transaction). Thread-safe.
  Status Read(const std::function<Status(ReadTxn&)>& fn);

  // Read and Write for a `fn` that returns a Result<T>: its value, or the first failure (the
  // engine's or `fn`'s). Spares callers the "capture into an optional" dance.
  template <typename Fn>
  std::invoke_result_t<Fn&, ReadTxn&> ReadValue(Fn&& fn);
  template <typename Fn>
  std::invoke_result_t<Fn&, WriteTxn&> WriteValue(Fn&& fn);

  // --- counters (thread-safe) ---
  // Audit rows dropped: the buffer was full, or they failed to store and no longer fit it.
  int64_t AuditDropped() const;
  // Jobs queued now, for metrics and back-pressure decisions.
  size_t QueueDepth() const;
  // TRUNCATE checkpoints the WAL bound forced, and how many of those found readers still on old
  // snapshots past the busy timeout (so the WAL could not be reset that time).
  int64_t WalBoundCheckpoints() const;
  int64_t WalBoundMisses() const;
  // Merges of remembered event ids into the id index that failed and were rolled back (their ids
  // stay remembered; see storage/recent_event_ids.h).
  int64_t EventIdMergeFailures() const;
  // The filter of stored event ids in use (0 while the first one is built after open) and the
  // builds of one that failed (storage/event_id_filter_build.h).
  int64_t EventIdFilterBytes() const;
  int64_t EventIdFilterFailures() const;
  // Memory held for event-id uniqueness: the remembered ids and the filters (both while a larger
  // one is built), as of the last committed group.
  int64_t EventIdMemoryBytes() const;

  // The storage fault standing now, for /health: the writer's last failure to write the file (an
  // I/O error, a read-only file, a full disk: StorageFault or StorageFull), until a later group
  // commits without one; or a damaged file seen by any read or write (StorageCorrupt), kept until
  // the process restarts, since nothing here repairs it. Ok when there is neither. Thread-safe.
  Status Fault() const;

  // Stops accepting jobs, drains the queue, stops the threads and checkpoints the WAL (TRUNCATE).
  // Idempotent.
  void Close();

  const std::string& path() const;

 private:
  struct Impl;  // threads, queues, connections and counters (storage/store_impl.h)
  explicit Store(const StoreOptions& options);

  std::unique_ptr<Impl> impl_;
};

template <typename Fn>
std::invoke_result_t<Fn&, ReadTxn&> Store::ReadValue(Fn&& fn) {
  std::optional<std::invoke_result_t<Fn&, ReadTxn&>> out;
  const Status s = Read([&](ReadTxn& txn) {
    out.emplace(fn(txn));
    return out->ok() ? Status::Ok() : out->status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

template <typename Fn>
std::invoke_result_t<Fn&, WriteTxn&> Store::WriteValue(Fn&& fn) {
  std::optional<std::invoke_result_t<Fn&, WriteTxn&>> out;
  const Status s = Write([&](WriteTxn& txn) {
    out.emplace(fn(txn));
    return out->ok() ? Status::Ok() : out->status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

}  // namespace vigil
