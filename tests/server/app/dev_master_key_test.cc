#include "server/app/dev_master_key.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace vigil;

namespace {

// A fresh directory, removed with everything in it.
class DevKeyTempDir {
 public:
  DevKeyTempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-devkey-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~DevKeyTempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

mode_t DevKeyFileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("Dev master key: created once with mode 0600, then the same key on every later load") {
  DevKeyTempDir dir;
  const std::string path = DevMasterKeyPath(dir.path() + "/vigil.db");
  CHECK(path == dir.path() + "/vigil.db.dev-master-key");
  auto first = LoadOrCreateDevMasterKey(path);
  REQUIRE(first.ok());
  CHECK(first->size() == 32);
  CHECK(DevKeyFileMode(path) == 0600);
  auto again = LoadOrCreateDevMasterKey(path);
  REQUIRE(again.ok());
  CHECK(again.value() == first.value());

  DevKeyTempDir other;
  auto fresh = LoadOrCreateDevMasterKey(DevMasterKeyPath(other.path() + "/vigil.db"));
  REQUIRE(fresh.ok());
  CHECK(fresh.value() != first.value());
}

TEST_CASE(
    "Dev master key: a file others can read, or one without a key, is refused, not replaced") {
  DevKeyTempDir dir;
  const std::string path = dir.path() + "/k";
  REQUIRE(LoadOrCreateDevMasterKey(path).ok());
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  auto loose = LoadOrCreateDevMasterKey(path);
  REQUIRE_FALSE(loose.ok());
  CHECK(loose.status().message().find("mode 0600") != std::string::npos);

  const std::string junk = dir.path() + "/junk";
  std::ofstream(junk) << "not a key\n";
  REQUIRE(chmod(junk.c_str(), 0600) == 0);
  auto bad = LoadOrCreateDevMasterKey(junk);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("does not hold a key") != std::string::npos);
  std::ifstream in(junk);
  std::string content;
  std::getline(in, content);
  CHECK(content == "not a key");
}
