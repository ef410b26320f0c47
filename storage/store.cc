// The engine's public face: opening, the write queue, the reader pool, closing.
#include "storage/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include "storage/database.h"
#include "storage/preflight.h"
#include "storage/store_impl.h"

namespace vigil {

Store::Impl::Impl(const StoreOptions& o)
    : options(o),
      wal_path(o.path + "-wal"),
      recent_ids(std::max<size_t>(1, o.event_id_generation), o.event_id_filter_bytes),
      id_levels(o.event_id_part) {}

Store::Store(const StoreOptions& options) : impl_(std::make_unique<Impl>(options)) {}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(options));
  Status s = store->impl_->Init();
  if (!s.ok()) return s;
  return store;
}

Status Store::Impl::Init() {
  Status s = PrepareFile();
  if (!s.ok()) return s;
  s = GuardSqlite([&] {
    ConnectionOptions wo;
    wo.path = options.path;
    wo.busy_timeout_ms = options.busy_timeout_ms;
    // The checkpointer thread checkpoints so the writer's commits never pay for it.
    wo.wal_autocheckpoint_pages = 0;
    writer = std::make_unique<Connection>(wo);
    sqlite3_wal_hook(
        writer->db().getHandle(),
        [](void* self, sqlite3*, const char*, int frames) {
          Impl* impl = static_cast<Impl*>(self);
          // Fewer frames than after the last commit: this commit restarted the WAL from its top.
          if (impl->wal_frames.exchange(frames, std::memory_order_relaxed) > frames) {
            impl->wal_restarts.fetch_add(1, std::memory_order_relaxed);
          }
          return SQLITE_OK;
        },
        this);
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("database file " + options.path + ": ");
  s = storage::CheckOpenDatabase(writer.get(), options.path, options.quick_check_max_bytes);
  if (!s.ok()) return s;
  s = storage::Migrate(writer.get());
  if (!s.ok()) return s.WithContext("database file " + options.path + ": ");
  size_t stored_ids = 0;
  s = GuardSqlite([&] {
    stored_ids = LoadRecentEventIds(writer.get(), &recent_ids, &id_levels);
    data_version = writer->db().execAndGet("PRAGMA data_version").getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  s = GuardSqlite([&] {
    ConnectionOptions ro;
    ro.path = options.path;
    ro.busy_timeout_ms = options.busy_timeout_ms;
    ro.read_only = true;
    ro.cache_kib = storage::kReaderCacheKib;
    for (size_t i = 0; i < std::max<size_t>(1, options.readers); ++i) {
      idle_readers.push_back(std::make_unique<Connection>(ro));
    }
    ConnectionOptions co;
    co.path = options.path;
    co.busy_timeout_ms = options.busy_timeout_ms;
    co.cache_kib = storage::kCheckpointerCacheKib;
    checkpointer = std::make_unique<Connection>(co);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  // The filter of stored ids fills beside the writer, which checks ids against the index until
  // it is whole: start-up does not wait for it.
  filter_build.Start(options.path, options.busy_timeout_ms, recent_ids.StartFilter(stored_ids));
  writer_thread = std::thread([this] { WriterLoop(); });
  checkpoint_thread = std::thread([this] { CheckpointLoop(); });
  return Status::Ok();
}

Status Store::Impl::PrepareFile() {
  std::error_code ec;
  const auto dir = std::filesystem::path(options.path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  Status s = storage::CheckFileBeforeOpen(options.path);
  if (!s.ok()) return s;
  if (std::filesystem::exists(options.path, ec)) return Status::Ok();
  return storage::CreateDatabaseFile(options.path)
      .WithContext("cannot create database file " + options.path + ": ");
}

Store::~Store() { Close(); }

void Store::Close() {
  Impl& d = *impl_;
  std::call_once(d.close_once, [&d] {
    {
      std::lock_guard<std::mutex> lock(d.queue_mu);
      d.closing = true;
    }
    d.queue_cv.notify_all();
    if (d.writer_thread.joinable()) d.writer_thread.join();
    d.filter_build.Stop();  // before the last checkpoint, which its reads would hold back
    {
      std::lock_guard<std::mutex> lock(d.checkpoint_mu);
      d.checkpoint_stop = true;
    }
    d.checkpoint_cv.notify_all();
    if (d.checkpoint_thread.joinable()) d.checkpoint_thread.join();
    if (d.writer) {
      GuardSqlite([&d] {
        d.writer->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
        return Status::Ok();
      });
    }
  });
}

size_t Store::QueueDepth() const {
  std::lock_guard<std::mutex> lock(impl_->queue_mu);
  return impl_->queue.size();
}

int64_t Store::AuditDropped() const { return impl_->audit_dropped.load(); }
int64_t Store::WalBoundCheckpoints() const { return impl_->wal_bound_checkpoints.load(); }
int64_t Store::WalBoundMisses() const { return impl_->wal_bound_misses.load(); }
int64_t Store::EventIdMergeFailures() const { return impl_->event_id_merge_failures.load(); }
int64_t Store::EventIdFilterBytes() const { return impl_->event_id_filter_bytes.load(); }
int64_t Store::EventIdMemoryBytes() const { return impl_->event_id_memory_bytes.load(); }
int64_t Store::EventIdFilterFailures() const { return impl_->event_id_filter_failures.load(); }
const std::string& Store::path() const { return impl_->options.path; }

Status Store::Impl::Enqueue(JobPtr job) {
  job->deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(queue_mu);
    if (closing) return Status::Overloaded("shutting down");
    if (queue.size() >= options.write_queue_max) return Impl::Busy();
    queue.push_back(std::move(job));
  }
  queue_cv.notify_one();
  return Status::Ok();
}

Status Store::Write(std::function<Status(WriteTxn&)> fn) {
  auto job = std::make_shared<Impl::Job>();
  job->fn = std::move(fn);
  auto done = job->done.get_future();
  Status queued = impl_->Enqueue(std::move(job));
  if (!queued.ok()) return queued;
  return done.get();
}

bool Store::WriteAsync(std::function<Status(WriteTxn&)> fn) {
  auto job = std::make_shared<Impl::Job>();
  job->fn = std::move(fn);
  job->wait = false;
  return impl_->Enqueue(std::move(job)).ok();
}

void Store::AppendAudit(AuditEntry entry) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.audit_mu);
  if (d.audit_pending.size() >= d.options.audit_buffer_max) {
    d.audit_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  d.audit_pending.push_back(std::move(entry));
}

Status Store::Read(const std::function<Status(ReadTxn&)>& fn) {
  Impl& d = *impl_;
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock<std::mutex> lock(d.readers_mu);
    if (!d.readers_cv.wait_for(lock, std::chrono::milliseconds(d.options.busy_timeout_ms),
                               [&d] { return !d.idle_readers.empty(); })) {
      return Impl::Busy();
    }
    conn = std::move(d.idle_readers.back());
    d.idle_readers.pop_back();
  }
  Status s = GuardSqlite([&] {
    conn->Exec("BEGIN");
    ReadTxn txn(conn.get());
    Status inner = fn(txn);
    conn->ResetStatements();
    conn->Exec("COMMIT");
    return inner;
  });
  if (!s.ok()) {
    GuardSqlite([&] {
      conn->ResetStatements();
      if (sqlite3_get_autocommit(conn->db().getHandle()) == 0) conn->Exec("ROLLBACK");
      return Status::Ok();
    });
  }
  {
    std::lock_guard<std::mutex> lock(d.readers_mu);
    d.idle_readers.push_back(std::move(conn));
  }
  d.readers_cv.notify_one();
  d.NoteReadOutcome(s);
  return s;
}

void Store::Impl::NoteReadOutcome(const Status& s) {
  if (s.code() != Code::kStorageCorrupt) return;
  std::lock_guard<std::mutex> lock(fault_mu);
  if (corrupt_fault.ok()) corrupt_fault = s;
}

Status Store::Fault() const {
  std::lock_guard<std::mutex> lock(impl_->fault_mu);
  return impl_->corrupt_fault.ok() ? impl_->write_fault : impl_->corrupt_fault;
}

}  // namespace vigil
