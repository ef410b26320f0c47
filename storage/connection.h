// One SQLite connection with its prepared-statement cache. Internal to storage/.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "domain/status.h"

namespace vigil {

struct ConnectionOptions {
  std::string path;
  int busy_timeout_ms = 5000;
  bool read_only = false;
  // 0 turns SQLite's own checkpointing off on this connection (the checkpointer thread does it).
  int wal_autocheckpoint_pages = 1000;
  // SQLite's page cache for this connection. The writer's holds the index pages a merge slice
  // revisits; a reader's or the checkpointer's mostly re-reads what the kernel caches anyway, so
  // theirs are small (the memory budget is in docs/operations.md).
  int cache_kib = 8192;
};

class Connection {
 public:
  // Opens `options.path` and sets the pragmas every connection carries: WAL, foreign keys,
  // synchronous=FULL (durable commits), busy timeout. Throws SQLite::Exception on failure.
  explicit Connection(const ConnectionOptions& options);

  SQLite::Database& db() { return db_; }

  // Returns a cached statement for `sql`, reset and with bindings cleared. `sql` must be a string
  // literal (the cache keys on the pointer).
  SQLite::Statement& Prepare(const char* sql);

  void Exec(const char* sql) { db_.exec(sql); }

  // Runs a statement without results (BEGIN, SAVEPOINT, COMMIT...) from the cache: the writer runs
  // these several times per group, and compiling them each time shows in its profile.
  void Run(const char* sql);

  // Resets every cached statement. A statement left mid-result keeps its read snapshot (and, on
  // the writer, blocks COMMIT), so this runs at the end of every read and before every commit.
  void ResetStatements();

 private:
  SQLite::Database db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

// Runs `fn`, turning SQLite exceptions into a Status: a full disk is StorageFull; busy and locked
// are StorageUnavailable (503: retry may help); an I/O error, a read-only or unopenable file is
// StorageFault (the message is SQLite's text); a damaged file or one that is not a database is
// StorageCorrupt (SQLite's text); anything else Internal. The SQLite message is kept in the status
// for the log; the HTTP layer never sends it to clients.
Status GuardSqlite(const std::function<Status()>& fn);

// Maps one SQLite result code to a Status (used by GuardSqlite and the writer's commit).
Status SqliteStatus(int code, const std::string& what);

}  // namespace vigil
