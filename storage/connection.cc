#include "storage/connection.h"

#include <sqlite3.h>

#include <string>

namespace vigil {
namespace {

// Process-wide SQLite settings, applied before the first connection opens (sqlite3_config works
// only until SQLite initialises; after that it fails and changes nothing). Returns `path`. It is
// not safe alongside other SQLite calls: nothing in the process may use SQLite before, or while,
// the first Connection opens (today Store::Open opens it before any thread starts).
//
// No memory statistics: SQLite counts every allocation in them behind one global mutex, which
// the writer takes several times per row, and nothing here reads them.
const std::string& ConfiguredSqlite(const std::string& path) {
  static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)rc;
  return path;
}

}  // namespace

Connection::Connection(const ConnectionOptions& o)
    // NOMUTEX: a connection is only ever used by one thread at a time (the writer thread, the
    // checkpointer, or the worker that took a reader from the pool), so SQLite's per-call mutex
    // is pure cost on the write path.
    : db_(ConfiguredSqlite(o.path),
          (o.read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE)) |
              SQLite::OPEN_NOMUTEX,
          o.busy_timeout_ms) {
  if (!o.read_only) {
    db_.exec("PRAGMA journal_mode=WAL");
    // Keep the WAL file from staying huge after a burst once it has been checkpointed.
    db_.exec("PRAGMA journal_size_limit=67108864");
  }
  db_.exec("PRAGMA foreign_keys=ON");
  db_.exec("PRAGMA synchronous=FULL");
  db_.exec("PRAGMA temp_store=MEMORY");
  // The writer used to need 32 MiB, when every event's id went straight into the unique index at
  // a random leaf; with ids merged into the index in sorted slices, 8 MiB measured the same
  // (storage/DESIGN.md).
  db_.exec("PRAGMA cache_size=-" + std::to_string(o.cache_kib));
  if (!o.read_only) {
    db_.exec("PRAGMA wal_autocheckpoint=" + std::to_string(o.wal_autocheckpoint_pages));
  }
}

SQLite::Statement& Connection::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
  } else {
    // tryReset, not reset: sqlite3_reset returns the error of the statement's last step, and a
    // statement whose step failed (a busy BEGIN, a UNIQUE violation) would otherwise throw that
    // stale error at its next, unrelated use.
    it->second->tryReset();
    it->second->clearBindings();
  }
  return *it->second;
}

void Connection::Run(const char* sql) {
  SQLite::Statement& q = Prepare(sql);
  const int rc = q.tryExecuteStep();
  q.tryReset();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw SQLite::Exception(db_.getHandle(), rc);
}

void Connection::ResetStatements() {
  for (auto& [sql, stmt] : statements_) stmt->tryReset();
}

Status SqliteStatus(int code, const std::string& what) {
  switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return Status::Ok();
    case SQLITE_FULL:
      return Status::StorageFull(what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Status::StorageUnavailable("storage unavailable: " + what);
    // The file itself failed: these say the database cannot be written (or read) right now, which
    // the store reports on /health until a write succeeds again.
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::StorageFault(what);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::StorageCorrupt(what);
    default:
      return Status::Internal("sqlite: " + what);
  }
}

Status GuardSqlite(const std::function<Status()>& fn) {
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    return SqliteStatus(e.getErrorCode(), e.what());
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("out of memory");
  }
}

}  // namespace vigil
