// What the store reports about the file while it runs (Store::Fault, read by /health), and how
// SQLite's result codes become statuses.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "storage/connection.h"
#include "storage/store.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::TempStore;

TEST_CASE("SQLite's codes split into busy, cannot write, full, damaged and bugs") {
  CHECK(SqliteStatus(SQLITE_BUSY, "database is locked").code() == Code::kStorageUnavailable);
  CHECK(SqliteStatus(SQLITE_LOCKED, "locked").code() == Code::kStorageUnavailable);
  CHECK(SqliteStatus(SQLITE_IOERR_WRITE, "disk I/O error").code() == Code::kStorageFault);
  CHECK(SqliteStatus(SQLITE_READONLY_DBMOVED, "readonly").code() == Code::kStorageFault);
  CHECK(SqliteStatus(SQLITE_CANTOPEN, "unable to open").code() == Code::kStorageFault);
  CHECK(SqliteStatus(SQLITE_FULL, "database or disk is full").code() == Code::kStorageFull);
  CHECK(SqliteStatus(SQLITE_CORRUPT_INDEX, "malformed").code() == Code::kStorageCorrupt);
  CHECK(SqliteStatus(SQLITE_NOTADB, "file is not a database").code() == Code::kStorageCorrupt);
  CHECK(SqliteStatus(SQLITE_CONSTRAINT_UNIQUE, "UNIQUE").code() == Code::kInternal);
  // The text of a fault is SQLite's own, for the log and /health.
  CHECK(SqliteStatus(SQLITE_IOERR, "disk I/O error").message() == "disk I/O error");
}

TEST_CASE("A write that cannot reach the file is reported until a later write commits") {
  TempStore t;
  CHECK(t.store->Fault().ok());
  const Status failed =
      t.store->Write([](WriteTxn&) { return Status::StorageFault("disk I/O error"); });
  CHECK(failed.code() == Code::kStorageFault);
  CHECK(t.store->Fault().code() == Code::kStorageFault);
  CHECK(t.store->Fault().message() == "disk I/O error");
  CHECK(t.store->Write([](WriteTxn&) { return Status::Ok(); }).ok());
  CHECK(t.store->Fault().ok());
}

TEST_CASE("A full disk is a fault; a busy lock or a job's own refusal is not") {
  TempStore t;
  t.store->Write([](WriteTxn&) { return Status::StorageUnavailable("database is locked"); });
  t.store->Write([](WriteTxn&) { return Status::InvalidArgument("bad"); });
  CHECK(t.store->Fault().ok());
  t.store->Write([](WriteTxn&) { return Status::StorageFull("database or disk is full"); });
  CHECK(t.store->Fault().code() == Code::kStorageFull);
}

TEST_CASE("A damaged file, seen by a read or a write, is reported until restart") {
  TempStore t;
  CHECK(t.store->Read([](ReadTxn&) { return Status::StorageCorrupt("malformed"); }).code() ==
        Code::kStorageCorrupt);
  CHECK(t.store->Fault().code() == Code::kStorageCorrupt);
  CHECK(t.store->Write([](WriteTxn&) { return Status::Ok(); }).ok());
  CHECK(t.store->Fault().code() == Code::kStorageCorrupt);

  TempStore w;
  w.store->Write([](WriteTxn&) { return Status::StorageCorrupt("malformed"); });
  CHECK(w.store->Write([](WriteTxn&) { return Status::Ok(); }).ok());
  CHECK(w.store->Fault().code() == Code::kStorageCorrupt);
}
