// The database file itself: its schema, its health, and the operator commands that work on the
// file directly.
#pragma once

#include <string>

#include "domain/status.h"
#include "storage/txn.h"

namespace vigil {

class Connection;

namespace storage {

// Applies the embedded migrations (storage/migrations/) not yet recorded in schema_migrations, in
// version order, each with its record in one transaction: never a half-applied schema. Fails with
// the error of the first migration that fails; the ones before it stay applied. Fails with
// Conflict, changing nothing, when the database records a migration newer than the binary's.
// REQUIRES: `conn` is writable and no transaction is open on it. Storage-internal (Store::Open).
Status Migrate(Connection* conn);

// Reads one row: proves the database file is readable. Not tenant data.
Status Ping(Txn& txn);

// Copies the database at `src_path` to `dest_path` page by page (SQLite's online backup), waiting
// out writers; the copy is a consistent snapshot. Fails when either file cannot be opened or a
// step fails. Safe beside a running server (SQLite locking); opens the files itself.
Status BackupDatabase(const std::string& src_path, const std::string& dest_path);
// Runs SQLite's integrity and foreign-key checks on the file at `path`; *report receives what they
// said ("ok" when sound). Fails with Internal when the file is not sound. Safe beside a running
// server.
Status CheckDatabase(const std::string& path, std::string* report);

}  // namespace storage
}  // namespace vigil
