// A database as an older version of Vigil left it, for the tests of a migration: the embedded
// migrations up to a version, applied and recorded as the store records them.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>

#include "storage/migrations.h"

namespace vigil::testing {

// Applies the embedded migrations 1..`version` to the empty database `db`.
inline void ApplyMigrationsUpTo(SQLite::Database& db, int64_t version) {
  db.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
      " applied_at INTEGER NOT NULL)");
  for (const Migration& m : EmbeddedMigrations()) {
    if (m.version > version) break;
    db.exec(m.sql);
    SQLite::Statement rec(db, "INSERT INTO schema_migrations VALUES (?, ?, 0)");
    rec.bind(1, m.version);
    rec.bind(2, m.name);
    rec.exec();
  }
}

}  // namespace vigil::testing
