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

#include "domain/detection_rows.h"
#include "domain/model.h"
#include "domain/status.h"
#include "domain/webhook.h"
#include "storage/detection.h"
#include "storage/events.h"
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

  // Stores `events` in `project` in one committed write job: what IngestEvents reports.
  IngestResult Ingest(int64_t project, const std::vector<Event>& events, int64_t now_ms = 1) {
    return Write(
        [&](WriteTxn& txn) { return storage::IngestEvents(txn, project, events, now_ms); });
  }
  // Stores the finding `f` of the execution `execution_id` (row `row`) of `project` in one
  // committed write job: what it did to the finding's group.
  GroupChange StoreFinding(int64_t project, int64_t row, const std::string& execution_id,
                           const StoredFinding& f) {
    return Write(
        [&](WriteTxn& txn) { return storage::PutFinding(txn, project, row, execution_id, f); });
  }
  // The same: whether it created the finding's group.
  bool AddFinding(int64_t project, int64_t row, const std::string& execution_id,
                  const StoredFinding& f) {
    return StoreFinding(project, row, execution_id, f) == GroupChange::kCreated;
  }
  // Creates execution `execution_id` of `project` with one event; returns its row.
  int64_t NewExecution(int64_t project, const std::string& execution_id);
  // The internal row id of the stored execution `execution_id` of `project`.
  int64_t RowOf(int64_t project, const std::string& execution_id) {
    auto in = Read([&](Txn& txn) { return storage::LoadForDetection(txn, project, execution_id); });
    REQUIRE(in.has_value());
    return in->row_id;
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
  a = Write([](WriteTxn& txn) { return storage::EnsureProject(txn, "pa", "A", Tier::kHobby, 1); });
  b = Write([](WriteTxn& txn) { return storage::EnsureProject(txn, "pb", "B", Tier::kHobby, 1); });
}

// An event of `execution` as a validated batch carries it.
inline Event MakeEvent(const std::string& event_id, const std::string& execution, int64_t sequence,
                       int64_t timestamp_ms = 1000, const std::string& type = "step") {
  Event e;
  e.event_id = event_id;
  e.execution_id = execution;
  e.event_type = type;
  e.type = EventTypeOf(type);
  e.sequence = sequence;
  e.timestamp_ms = timestamp_ms;
  e.payload_json = "{}";
  return e;
}

inline int64_t TempStore::NewExecution(int64_t project, const std::string& execution_id) {
  return Ingest(project, {MakeEvent(execution_id + "-ev", execution_id, 1, 10)}).touched[0].row_id;
}

// A live finding of `detector` in the group `group_id` (class "crashes"), found at `at_ms`.
inline StoredFinding MakeFinding(const std::string& detector, const std::string& group_id,
                                 int64_t at_ms = 0, int priority = 1) {
  StoredFinding f;
  f.detector = detector;
  f.priority = priority;
  f.failure_class = "crashes";
  f.signature = "sig-" + group_id;  // one group per (class, signature)
  f.group_id = group_id;
  f.detected_at_ms = at_ms;
  f.source = "live";
  return f;
}

// An enabled webhook endpoint `webhook_id` whose sealed secret is the bytes "sealed".
inline WebhookRow MakeWebhook(const std::string& webhook_id) {
  WebhookRow w;
  w.webhook_id = webhook_id;
  w.url = "https://example.com";
  w.secret_blob = "sealed";
  return w;
}

// Attempt number `attempt` of the delivery `delivery_id` of `event`, which ended as `status`.
inline WebhookAttemptRow MakeAttempt(const std::string& delivery_id, DeliveryStatus status,
                                     int64_t attempt = 1,
                                     const std::string& event = "failure_group.test") {
  WebhookAttemptRow a;
  a.delivery_id = delivery_id;
  a.event = event;
  a.attempt = attempt;
  a.status = status;
  return a;
}

}  // namespace vigil::testing
