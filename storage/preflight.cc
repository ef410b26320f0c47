#include "storage/preflight.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "storage/connection.h"

namespace vigil::storage {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "SQLite format 3";  // with its terminating NUL: 16 bytes

uint32_t BigEndian(std::string_view b, size_t at, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// The page size the header names, or 0 when it is not one SQLite writes (a power of two from 512
// to 65536; 65536 is stored as 1).
uint32_t PageSize(std::string_view header) {
  const uint32_t raw = BigEndian(header, 16, 2);
  const uint32_t size = raw == 1 ? 65536 : raw;
  if (size < 512 || size > 65536 || (size & (size - 1)) != 0) return 0;
  return size;
}

std::string Errno(int err) { return std::strerror(err); }

// StorageFault naming `what` when the process cannot write `p` (for a directory: create files in
// it). access() asks the kernel, so a read-only mount or an immutable file refuses root too.
Status CheckWritable(const std::string& p, const char* what, int mode) {
  if (access(p.c_str(), mode) == 0) return Status::Ok();
  return Status::StorageFault(std::string(what) + " " + p + " is not writable: " + Errno(errno));
}

uint64_t SizeOrZero(const std::string& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

std::string DirectoryOf(const std::string& path) {
  const auto dir = fs::path(path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

}  // namespace

Status CheckFileHeader(std::string_view header, uint64_t file_size, uint64_t wal_bytes) {
  if (header.size() < kSqliteHeaderBytes) {
    return Status::StorageCorrupt("is " + std::to_string(file_size) +
                                  " bytes, too short to be an SQLite database");
  }
  if (header.compare(0, sizeof(kMagic), std::string_view(kMagic, sizeof(kMagic))) != 0) {
    return Status::StorageCorrupt("is not an SQLite database (its header is not SQLite's)");
  }
  const uint32_t page = PageSize(header);
  if (page == 0) return Status::StorageCorrupt("has an invalid page size in its header");
  if (file_size % page != 0) {
    return Status::StorageCorrupt(
        "is truncated or damaged: its size, " + std::to_string(file_size) +
        " bytes, is not a whole number of its " + std::to_string(page) + "-byte pages");
  }
  // The page count in the header is trustworthy only when the change counter matches the
  // "version valid for" number; pages the header counts may still sit in the WAL.
  const uint32_t header_pages = BigEndian(header, 28, 4);
  const bool count_valid =
      header_pages != 0 && BigEndian(header, 24, 4) == BigEndian(header, 92, 4);
  if (count_valid && wal_bytes <= kWalHeaderBytes && file_size / page < header_pages) {
    return Status::StorageCorrupt("is truncated: its header counts " +
                                  std::to_string(header_pages) + " pages, the file holds " +
                                  std::to_string(file_size / page));
  }
  return Status::Ok();
}

Status CheckFileBeforeOpen(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::StorageFault("database file " + path + ": its directory " + dir +
                                " does not exist or is not a directory");
  }
  Status s = CheckWritable(dir, "its directory", W_OK | X_OK);
  if (!s.ok()) return s.WithContext("database file " + path + ": ");
  if (!fs::exists(path, ec)) {
    // Frames of a WAL without its database would be replayed into a new file.
    if (SizeOrZero(path + "-wal") == 0) return Status::Ok();
    return Status::StorageCorrupt("database file " + path + " is missing but its WAL " + path +
                                  "-wal is not; restore the database file, or remove the WAL to "
                                  "start with a new database");
  }
  if (!fs::is_regular_file(path, ec)) {
    return Status::StorageFault("database path " + path + " is not a regular file");
  }
  const uint64_t size = SizeOrZero(path);
  if (size == 0) {
    return Status::StorageCorrupt(
        "database file " + path +
        " is empty (0 bytes) where a database is expected; restore it from a backup, or remove it "
        "to start with a new database");
  }
  std::string header(kSqliteHeaderBytes, '\0');
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::StorageFault("database file " + path + " cannot be read");
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  header.resize(static_cast<size_t>(in.gcount()));
  s = CheckFileHeader(header, size, SizeOrZero(path + "-wal"));
  if (!s.ok()) return s.WithContext("database file " + path + " ");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string p = path + suffix;
    if (!fs::exists(p, ec)) continue;
    s = CheckWritable(p, "database file", W_OK);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status CreateDatabaseFile(const std::string& path) {
  const std::string tmp = path + ".creating";
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(tmp + suffix, ec);
  Status s = GuardSqlite([&] {
    // A Connection (not a bare SQLite handle): it applies the process-wide SQLite settings, which
    // must precede SQLite's first use. Its switch to WAL writes the first page (the mode is kept in
    // the header); closing the only connection removes the WAL again.
    ConnectionOptions o;
    o.path = tmp;
    Connection created(o);
    return Status::Ok();
  });
  if (s.ok()) {
    fs::rename(tmp, path, ec);
    if (ec) s = Status::StorageFault("rename: " + ec.message());
  }
  if (!s.ok()) {
    fs::remove(tmp, ec);
    return s;
  }
  // The rename must be durable before anything is stored in the file.
  const int fd = open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  return Status::Ok();
}

Status CheckOpenDatabase(Connection* conn, const std::string& path,
                         uint64_t quick_check_max_bytes) {
  if (sqlite3_db_readonly(conn->db().getHandle(), "main") == 1) {
    return Status::StorageFault("database file " + path +
                                " can only be opened read-only; Vigil needs to write it");
  }
  Status s = GuardSqlite([&] {
    conn->db().execAndGet("SELECT COUNT(*) FROM sqlite_master");
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("database file " + path + ": cannot read its schema: ");
  if (SizeOrZero(path) + SizeOrZero(path + "-wal") > quick_check_max_bytes) return Status::Ok();
  std::string verdict;
  s = GuardSqlite([&] {
    verdict = conn->db().execAndGet("PRAGMA quick_check(1)").getString();
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("database file " + path + ": quick_check: ");
  if (verdict != "ok") {
    return Status::StorageCorrupt("database file " + path + " is damaged: " + verdict);
  }
  return Status::Ok();
}

}  // namespace vigil::storage
