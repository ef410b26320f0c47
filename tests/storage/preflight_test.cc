// Start-up checks: a file the store cannot trust or cannot write is refused before it is used,
// with a message naming it.
#include "storage/preflight.h"

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/store.h"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

// A header as SQLite writes it: the magic, the page size and a valid page count of `pages`.
std::string PreflightHeader(uint32_t page_size, uint32_t pages) {
  std::string h(storage::kSqliteHeaderBytes, '\0');
  h.replace(0, 16, std::string("SQLite format 3\0", 16));
  const uint32_t stored = page_size == 65536 ? 1 : page_size;
  h[16] = static_cast<char>(stored >> 8);
  h[17] = static_cast<char>(stored & 0xff);
  for (int i = 0; i < 4; ++i) h[28 + i] = static_cast<char>((pages >> (24 - 8 * i)) & 0xff);
  h[27] = 7;  // change counter ...
  h[95] = 7;  // ... equal to "version valid for": the page count is trustworthy
  return h;
}

// A fresh directory that is removed with the object.
struct PreflightDir {
  fs::path dir = fs::temp_directory_path() / ("vigil-preflight-" + std::to_string(getpid()) + "-" +
                                              std::to_string(reinterpret_cast<uintptr_t>(this)));
  PreflightDir() { fs::create_directories(dir); }
  ~PreflightDir() { fs::remove_all(dir); }
  std::string Db() const { return (dir / "vigil.db").string(); }
};

Status OpenStatus(const std::string& path) {
  StoreOptions o;
  o.path = path;
  auto store = Store::Open(o);
  return store.ok() ? Status::Ok() : store.status();
}

// Creates a database with the store, and closes it (WAL checkpointed and removed).
void CreateWithStore(const std::string& path) {
  StoreOptions o;
  o.path = path;
  auto store = Store::Open(o);
  REQUIRE(store.ok());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("A header that is SQLite's, whole pages and the page count it vouches for passes") {
  CHECK(storage::CheckFileHeader(PreflightHeader(4096, 3), 3 * 4096, 0).ok());
  CHECK(storage::CheckFileHeader(PreflightHeader(65536, 1), 65536, 0).ok());
}

TEST_CASE("A file that is not SQLite's, or has an impossible page size, is refused as corrupt") {
  std::string h = PreflightHeader(4096, 1);
  h[0] = 'X';
  CHECK(storage::CheckFileHeader(h, 4096, 0).code() == Code::kStorageCorrupt);
  CHECK(storage::CheckFileHeader(PreflightHeader(1000, 1), 4000, 0).code() ==
        Code::kStorageCorrupt);
  CHECK(storage::CheckFileHeader(std::string(40, 'a'), 40, 0).code() == Code::kStorageCorrupt);
}

TEST_CASE("A file cut mid-page, or shorter than its header says without a WAL, is refused") {
  const Status mid = storage::CheckFileHeader(PreflightHeader(4096, 3), 3 * 4096 - 100, 0);
  CHECK(mid.code() == Code::kStorageCorrupt);
  CHECK(mid.message().find("not a whole number") != std::string::npos);
  CHECK(storage::CheckFileHeader(PreflightHeader(4096, 3), 2 * 4096, 0).code() ==
        Code::kStorageCorrupt);
  // The pages the header counts may still be in a WAL with frames: not refused.
  CHECK(storage::CheckFileHeader(PreflightHeader(4096, 3), 2 * 4096, 4096 + 32).ok());
}

TEST_CASE("A new install creates a whole database file and leaves no temporary file") {
  PreflightDir d;
  CHECK(OpenStatus(d.Db()).ok());
  CHECK(fs::file_size(d.Db()) > 0);
  CHECK_FALSE(fs::exists(d.Db() + ".creating"));
  CHECK(OpenStatus(d.Db()).ok());  // and opens again
}

TEST_CASE("A 0-byte database file is refused, naming it, and left as it was") {
  PreflightDir d;
  WriteFile(d.Db(), "");
  const Status s = OpenStatus(d.Db());
  CHECK(s.code() == Code::kStorageCorrupt);
  CHECK(s.message().find(d.Db()) != std::string::npos);
  CHECK(s.message().find("0 bytes") != std::string::npos);
  CHECK(fs::file_size(d.Db()) == 0);
}

TEST_CASE("A file that is not a database, or a database cut mid-page, is refused") {
  PreflightDir d;
  WriteFile(d.Db(), std::string(8192, 'z'));
  CHECK(OpenStatus(d.Db()).code() == Code::kStorageCorrupt);
  fs::remove(d.Db());
  CreateWithStore(d.Db());
  fs::resize_file(d.Db(), fs::file_size(d.Db()) - 1000);
  const Status s = OpenStatus(d.Db());
  CHECK(s.code() == Code::kStorageCorrupt);
  CHECK(s.message().find(d.Db()) != std::string::npos);
}

TEST_CASE("A damaged page of a small database is found by quick_check at start-up") {
  PreflightDir d;
  CreateWithStore(d.Db());
  {
    SQLite::Database db(d.Db(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA journal_mode=DELETE");
    db.exec("CREATE TABLE padding(x TEXT)");
    for (int i = 0; i < 200; ++i) db.exec("INSERT INTO padding VALUES (printf('%.500c', 'p'))");
  }
  // The last page is a leaf of `padding`, far from the header and the schema.
  const auto size = fs::file_size(d.Db());
  {
    std::fstream f(d.Db(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(size - 4096));
    const std::string junk(4096, '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const Status s = OpenStatus(d.Db());
  CHECK(s.code() == Code::kStorageCorrupt);
  CHECK(s.message().find(d.Db()) != std::string::npos);
}

TEST_CASE("A schema newer than the binary's migrations is refused and left unchanged") {
  PreflightDir d;
  CreateWithStore(d.Db());
  {
    SQLite::Database db(d.Db(), SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, 'future', 1)");
  }
  const Status s = OpenStatus(d.Db());
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message().find("9999") != std::string::npos);
  CHECK(s.message().find(d.Db()) != std::string::npos);
  SQLite::Database db(d.Db(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM schema_migrations WHERE version = 9999").getInt() == 1);
}

TEST_CASE("A database whose directory cannot exist (its parent is a file) is refused") {
  PreflightDir d;
  WriteFile((d.dir / "plain").string(), "x");
  const Status s = OpenStatus((d.dir / "plain" / "vigil.db").string());
  CHECK(s.code() == Code::kStorageFault);
  CHECK(s.message().find("plain") != std::string::npos);
}

TEST_CASE("A WAL whose database file is gone is refused rather than replayed into a new file") {
  PreflightDir d;
  WriteFile(d.Db() + "-wal", std::string(4096 + 32, 'w'));
  const Status s = OpenStatus(d.Db());
  CHECK(s.code() == Code::kStorageCorrupt);
  CHECK(s.message().find("-wal") != std::string::npos);
  CHECK_FALSE(fs::exists(d.Db()));
}
