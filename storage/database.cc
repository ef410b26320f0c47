#include "storage/database.h"

#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "domain/time_util.h"
#include "storage/connection.h"
#include "storage/migrations.h"

namespace vigil::storage {

Status Migrate(Connection* conn) {
  return GuardSqlite([&] {
    conn->Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    // A schema this binary does not know would be read and written with wrong assumptions.
    const int known = EmbeddedMigrations().empty() ? 0 : EmbeddedMigrations().back().version;
    const int64_t stored =
        conn->db().execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").getInt64();
    if (stored > known) {
      return Status::Conflict("its schema is version " + std::to_string(stored) +
                              ", newer than this binary knows (" + std::to_string(known) +
                              "): run the Vigil release that wrote it, or restore a backup");
    }
    for (const Migration& m : EmbeddedMigrations()) {
      SQLite::Statement q(conn->db(), "SELECT 1 FROM schema_migrations WHERE version = ?");
      q.bind(1, m.version);
      if (q.executeStep()) continue;
      // Each migration and its record commit together: never a half-applied schema.
      SQLite::Transaction tx(conn->db(), SQLite::TransactionBehavior::IMMEDIATE);
      conn->Exec(m.sql);
      SQLite::Statement rec(conn->db(),
                            "INSERT INTO schema_migrations(version, name, applied_at) "
                            "VALUES (?, ?, ?)");
      rec.bind(1, m.version);
      rec.bind(2, m.name);
      rec.bind(3, static_cast<int64_t>(NowMs()));
      rec.exec();
      tx.commit();
    }
    return Status::Ok();
  });
}

Status Ping(Txn& txn) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare("SELECT COUNT(*) FROM schema_migrations");
    q.executeStep();
    return Status::Ok();
  });
}

Status BackupDatabase(const std::string& src_path, const std::string& dest_path) {
  return GuardSqlite([&] {
    ConnectionOptions o;
    o.path = src_path;
    o.read_only = true;
    Connection src(o);
    SQLite::Database dest(dest_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    sqlite3_backup* b = sqlite3_backup_init(dest.getHandle(), "main", src.db().getHandle(), "main");
    if (!b) return SqliteStatus(sqlite3_errcode(dest.getHandle()), "backup init");
    int rc;
    while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
           rc == SQLITE_LOCKED) {
      if (rc != SQLITE_OK) sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) return SqliteStatus(rc, "backup step");
    return Status::Ok();
  });
}

Status CheckDatabase(const std::string& path, std::string* report) {
  return GuardSqlite([&] {
    ConnectionOptions o;
    o.path = path;
    o.read_only = true;
    Connection c(o);
    SQLite::Statement q(c.db(), "PRAGMA integrity_check");
    report->clear();
    while (q.executeStep()) {
      if (!report->empty()) *report += "\n";
      *report += q.getColumn(0).getString();
    }
    SQLite::Statement fk(c.db(), "PRAGMA foreign_key_check");
    if (fk.executeStep()) *report += "\nforeign key violations found";
    return *report == "ok" ? Status::Ok() : Status::Internal("integrity check failed");
  });
}

}  // namespace vigil::storage
