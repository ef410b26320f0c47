// A store in a fresh temporary directory holding two projects, `a` ("pa") and `b` ("pb"), for the
// storage tests: most of them check that one project's rows stay invisible to the other.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "domain/model.h"
#include "domain/status.h"
#include "storage/projects.h"
#include "storage/store.h"

namespace vigil::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  static const Status kOk;
  return r.ok() ? kOk : r.status();
}

class TempStore {
 public:
  // `options.path` is replaced by a file in the temporary directory.
  explicit TempStore(StoreOptions options = {});
  ~TempStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  // Runs `fn` as one write job. A Status is returned as it is (not ok: the job rolled back; ok: it
  // committed). A Result must be ok and commit; its value is returned. To see a failed Result,
  // return its .status().
  template <typename Fn>
  auto Write(Fn fn) {
    using R = std::invoke_result_t<Fn, WriteTxn&>;
    std::optional<R> out;
    Status committed = store->Write([&](WriteTxn& txn) {
      out.emplace(fn(txn));
      return StatusOf(*out);
    });
    REQUIRE(out.has_value());
    if (StatusOf(*out).ok()) REQUIRE(committed.ok());
    return Unwrap(std::move(*out));
  }
  // Runs `fn` in one read transaction; REQUIRES it to succeed; returns its Result's value.
  template <typename Fn>
  auto Read(Fn fn) {
    using R = std::invoke_result_t<Fn, ReadTxn&>;
    std::optional<R> out;
    Status s = store->Read([&](ReadTxn& txn) {
      out.emplace(fn(txn));
      return StatusOf(*out);
    });
    REQUIRE(s.ok());
    return Unwrap(std::move(*out));
  }

  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  int64_t a = 0;
  int64_t b = 0;

 private:
  static Status Unwrap(Status s) { return s; }
  template <typename T>
  static T Unwrap(Result<T> r) {
    REQUIRE(r.ok());
    return std::move(r.value());
  }
};

inline TempStore::TempStore(StoreOptions options) {
  dir = std::filesystem::temp_directory_path() /
        ("vigil-storage-test-" + std::to_string(::getpid()) + "-" +
         std::to_string(reinterpret_cast<uintptr_t>(this)));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  options.path = (dir / "sub" / "t.db").string();
  auto s = Store::Open(options);
  REQUIRE(s.ok());
  store = std::move(s.value());
  a = Write([](WriteTxn& txn) { return storage::EnsureProject(txn, "pa", "A", "hobby", 1); });
  b = Write([](WriteTxn& txn) { return storage::EnsureProject(txn, "pb", "B", "hobby", 1); });
}

// An event of `execution` as a validated batch carries it.
inline Event MakeEvent(const std::string& event_id, const std::string& execution, int64_t sequence,
                       int64_t timestamp_ms = 1000, const std::string& type = "step") {
  Event e;
  e.event_id = event_id;
  e.execution_id = execution;
  e.event_type = type;
  e.sequence = sequence;
  e.timestamp_ms = timestamp_ms;
  e.payload_json = "{}";
  return e;
}

}  // namespace vigil::testing
