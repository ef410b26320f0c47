// The checks a database file passes before the store uses it. A file Vigil cannot trust or cannot
// write stops start-up with a message that names the file and the cause, instead of starting and
// failing requests later (storage/DESIGN.md, "Start-up checks"). Every check is bounded: none reads
// more than the file's header and its schema, except quick_check on a small file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace vigil {

class Connection;

namespace storage {

// The bytes of the database header the checks read (SQLite's file format, section 1.3).
constexpr size_t kSqliteHeaderBytes = 100;
// A WAL file holds frames beyond its own header only when it is longer than this.
constexpr uint64_t kWalHeaderBytes = 32;

// What the file's first bytes and its size say, without I/O: StorageCorrupt when `header` is
// shorter than a header, is not SQLite's ("SQLite format 3\0"), names a page size SQLite never
// writes, when `file_size` is not a whole number of pages (a file cut mid-page), or when the file
// is shorter than the page count its header vouches for and no WAL (`wal_bytes`, 0 when absent)
// can hold the missing pages.
Status CheckFileHeader(std::string_view header, uint64_t file_size, uint64_t wal_bytes);

// Before SQLite opens `path`: Ok when the file does not exist (a new install: no WAL of an old
// file beside it either) and its directory exists and can be written; otherwise StorageCorrupt for
// a 0-byte file, one CheckFileHeader refuses, or a WAL without its database; StorageFault when the
// path is not a regular file or the file, its -wal or -shm, or the directory cannot be written.
// Every message names the path.
Status CheckFileBeforeOpen(const std::string& path);

// Creates a new database at `path` (which must not exist) so that it appears whole or not at all:
// it is written beside it under a temporary name and renamed into place, so a crash during a first
// start never leaves the 0-byte file that CheckFileBeforeOpen refuses.
Status CreateDatabaseFile(const std::string& path);

// On the freshly opened writer connection: StorageFault when SQLite opened the file read-only,
// StorageCorrupt when the schema cannot be read or, for a file (with its WAL) of at most
// `quick_check_max_bytes`, when PRAGMA quick_check finds damage. Messages name `path`.
Status CheckOpenDatabase(Connection* conn, const std::string& path, uint64_t quick_check_max_bytes);

}  // namespace storage
}  // namespace vigil
