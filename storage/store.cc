#include "storage/store.h"

#include <SQLiteCpp/Transaction.h>
#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "domain/time_util.h"
#include "storage/connection.h"
#include "storage/migrations.h"

namespace vigil {

struct Store::Job {
  std::function<Status(WriteTxn&)> fn;
  std::chrono::steady_clock::time_point deadline;
  bool wait = true;
  std::promise<Status> done;
};

namespace {

Status Busy() { return Status::Overloaded("server busy, retry later"); }

}  // namespace

Status Migrate(Connection* conn) {
  return GuardSqlite([&] {
    conn->Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const Migration& m : EmbeddedMigrations()) {
      SQLite::Statement q(conn->db(), "SELECT 1 FROM schema_migrations WHERE version = ?");
      q.bind(1, m.version);
      if (q.executeStep()) continue;
      // Each migration and its record commit together: never a half-applied schema.
      SQLite::Transaction tx(conn->db(), SQLite::TransactionBehavior::IMMEDIATE);
      conn->Exec(m.sql);
      SQLite::Statement rec(conn->db(),
                            "INSERT INTO schema_migrations(version, name, applied_at) "
                            "VALUES (?, ?, ?)");
      rec.bind(1, m.version);
      rec.bind(2, m.name);
      rec.bind(3, static_cast<int64_t>(NowMs()));
      rec.exec();
      tx.commit();
    }
    return Status::Ok();
  });
}

Store::Store(const StoreOptions& options)
    : options_(options),
      wal_path_(options.path + "-wal"),
      recent_ids_(std::max<size_t>(1, options.event_id_generation), options.event_id_filter_bytes) {
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(options));
  Status s = store->Init();
  if (!s.ok()) return s;
  return store;
}

Status Store::Init() {
  std::error_code ec;
  const auto dir = std::filesystem::path(options_.path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  Status s = GuardSqlite([&] {
    ConnectionOptions wo;
    wo.path = options_.path;
    wo.busy_timeout_ms = options_.busy_timeout_ms;
    // The checkpointer thread checkpoints so the writer's commits never pay for it.
    wo.wal_autocheckpoint_pages = 0;
    writer_ = std::make_unique<Connection>(wo);
    sqlite3_wal_hook(
        writer_->db().getHandle(),
        [](void* self, sqlite3*, const char*, int frames) {
          Store* store = static_cast<Store*>(self);
          // Fewer frames than after the last commit: this commit restarted the WAL from its top.
          if (store->wal_frames_.exchange(frames, std::memory_order_relaxed) > frames) {
            store->wal_restarts_.fetch_add(1, std::memory_order_relaxed);
          }
          return SQLITE_OK;
        },
        this);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  s = Migrate(writer_.get());
  if (!s.ok()) return s;
  s = GuardSqlite([&] {
    LoadRecentEventIds(writer_.get(), &recent_ids_);
    data_version_ = writer_->db().execAndGet("PRAGMA data_version").getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  s = GuardSqlite([&] {
    ConnectionOptions ro;
    ro.path = options_.path;
    ro.busy_timeout_ms = options_.busy_timeout_ms;
    ro.read_only = true;
    for (size_t i = 0; i < std::max<size_t>(1, options_.readers); ++i) {
      idle_readers_.push_back(std::make_unique<Connection>(ro));
    }
    ConnectionOptions co;
    co.path = options_.path;
    co.busy_timeout_ms = options_.busy_timeout_ms;
    checkpointer_ = std::make_unique<Connection>(co);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  writer_thread_ = std::thread([this] { WriterLoop(); });
  checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
  return Status::Ok();
}

Store::~Store() { Close(); }

void Store::Close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      closing_ = true;
    }
    queue_cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
    if (writer_) {
      GuardSqlite([&] {
        writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
        return Status::Ok();
      });
    }
  });
}

size_t Store::QueueDepth() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return queue_.size();
}

Status Store::Write(std::function<Status(WriteTxn&)> fn) {
  auto job = std::make_shared<Job>();
  job->fn = std::move(fn);
  job->deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.busy_timeout_ms);
  auto done = job->done.get_future();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (closing_) return Status::Overloaded("shutting down");
    if (queue_.size() >= options_.write_queue_max) return Busy();
    queue_.push_back(job);
  }
  queue_cv_.notify_one();
  return done.get();
}

bool Store::WriteAsync(std::function<Status(WriteTxn&)> fn) {
  auto job = std::make_shared<Job>();
  job->fn = std::move(fn);
  job->wait = false;
  job->deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.busy_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (closing_ || queue_.size() >= options_.write_queue_max) return false;
    queue_.push_back(job);
  }
  queue_cv_.notify_one();
  return true;
}

void Store::WriterLoop() {
  pthread_setname_np(pthread_self(), "vigil-writer");
  const size_t max_jobs = std::max<size_t>(1, options_.max_jobs_per_group);
  // Audit rows of read-only traffic wait at most this long for a group to carry them.
  constexpr auto kAuditFlushInterval = std::chrono::milliseconds(200);
  for (;;) {
    std::vector<std::shared_ptr<Job>> group;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait_for(lock, kAuditFlushInterval, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_) {
        lock.unlock();
        RunGroup(group);  // the last audit rows
        return;
      }
      while (!queue_.empty() && group.size() < max_jobs) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunGroup(group);
    EnforceWalBound();
  }
}

void Store::AppendAudit(AuditEntry entry) {
  std::lock_guard<std::mutex> lock(audit_mu_);
  if (audit_pending_.size() >= options_.audit_buffer_max) {
    audit_dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  audit_pending_.push_back(std::move(entry));
}

void Store::LetWalRestart() {
  // Under sustained ingestion the WAL never restarts by itself: SQLite starts writing at the top of
  // the file again only when a write begins with every frame already copied into the database, and
  // the checkpointer, copying while the writer appends, is always a group or two behind. The file
  // would grow until the hard bound below stops ingestion for a whole TRUNCATE checkpoint. So once
  // the WAL holds kWalRestartFrames, the writer, between two groups (nothing is being appended),
  // copies the rest itself: the last group or two and one fsync of the database file. The next
  // group then writes from the top of the file. A reader still inside the WAL at that moment keeps
  // it from restarting; then the writer tries again a little later, not after every group.
  constexpr int kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  constexpr int kRetryFrames = 512;
  const int frames = wal_frames_.load(std::memory_order_relaxed);
  if (frames < kWalRestartFrames) {
    wal_restart_at_frames_ = kWalRestartFrames;
    return;
  }
  if (frames < wal_restart_at_frames_) return;
  int log_frames = 0, ckpt_frames = 0;
  const int rc = sqlite3_wal_checkpoint_v2(writer_->db().getHandle(), nullptr,
                                           SQLITE_CHECKPOINT_PASSIVE, &log_frames, &ckpt_frames);
  // Busy: the checkpointer is mid-copy; try again after the next group.
  if (rc != SQLITE_BUSY) wal_restart_at_frames_ = frames + kRetryFrames;
}

void Store::EnforceWalBound() {
  LetWalRestart();
  const auto now = std::chrono::steady_clock::now();
  if (now < wal_bound_retry_at_) return;
  std::error_code ec;
  const uintmax_t wal_bytes = std::filesystem::file_size(wal_path_, ec);
  if (ec || wal_bytes < options_.wal_bound_bytes) return;
  // Readers that overlap without pause can keep the WAL from restarting (see LetWalRestart), so
  // the file could still grow without bound. Here, between groups, the writer is idle by
  // construction, so a TRUNCATE checkpoint on its own connection never races a write: it waits
  // only for readers of old snapshots to finish, copies every frame, and resets the file. Readers
  // that start meanwhile read the database file and do not hold it up.
  //
  // Ingestion pauses for that wait, so it is short (request readers last milliseconds). A reader
  // that holds its snapshot longer (an admin export to a slow client) makes the checkpoint miss;
  // then the writer leaves the WAL alone for a while rather than pausing after every group.
  sqlite3* db = writer_->db().getHandle();
  sqlite3_busy_timeout(db, static_cast<int>(options_.wal_bound_wait_ms));
  int log_frames = 0, ckpt_frames = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &ckpt_frames);
  sqlite3_busy_timeout(db, options_.busy_timeout_ms);
  // The checkpointer thread mid-copy holds the checkpoint lock, which SQLite never waits for: that
  // is no reader to back off from, so the next group simply tries again.
  if (rc == SQLITE_BUSY && log_frames == -1) return;
  wal_bound_checkpoints_.fetch_add(1, std::memory_order_relaxed);
  if (rc != SQLITE_OK) {
    wal_bound_misses_.fetch_add(1, std::memory_order_relaxed);
    wal_bound_retry_at_ = now + std::chrono::milliseconds(options_.wal_bound_backoff_ms);
  }
}

void Store::RunGroup(std::vector<std::shared_ptr<Job>>& group) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Job>> runnable;
  for (auto& job : group) {
    // A job that waited past the busy timeout is answered 503 rather than run late: its client
    // may already have given up, and running it would only lengthen the backlog.
    if (now > job->deadline) {
      job->done.set_value(Busy());
    } else {
      runnable.push_back(job);
    }
  }
  std::vector<AuditEntry> audit;
  {
    std::lock_guard<std::mutex> lock(audit_mu_);
    audit.swap(audit_pending_);
  }
  if (runnable.empty() && audit.empty()) return;

  std::vector<Status> results(runnable.size());
  bool audit_stored = audit.empty();
  Status group_status = GuardSqlite([&] {
    writer_->Run("BEGIN IMMEDIATE");
    // Another process (an operator command such as `vigil prune`) may have deleted events since
    // this connection's last transaction: remembered event ids must then be verified.
    auto& v = writer_->Prepare("PRAGMA data_version");
    v.executeStep();
    const int64_t version = v.getColumn(0).getInt64();
    v.reset();
    if (version != data_version_) recent_ids_.NoteDeletes();
    data_version_ = version;
    return Status::Ok();
  });
  if (group_status.ok()) {
    WriteTxn txn(writer_.get(), &recent_ids_);
    sqlite3* db = writer_->db().getHandle();
    for (size_t i = 0; i < runnable.size() && group_status.ok(); ++i) {
      const size_t ids_mark = recent_ids_.JobMark();
      Status s = GuardSqlite([&] {
        writer_->Run("SAVEPOINT job");
        return Status::Ok();
      });
      if (s.ok()) {
        try {
          s = runnable[i]->fn(txn);
        } catch (const std::exception& e) {
          s = Status::Internal(std::string("write job threw: ") + e.what());
        }
        if (!s.ok()) recent_ids_.RollbackJob(ids_mark);
        Status end = GuardSqlite([&] {
          if (!s.ok()) writer_->Exec("ROLLBACK TO job");
          writer_->Run("RELEASE job");
          return Status::Ok();
        });
        if (!end.ok() && s.ok()) s = end;
        // The savepoint could not be rolled back or released: what the transaction now holds is
        // unknown (and no longer matches the remembered event ids), so none of it commits.
        if (!end.ok()) group_status = end;
      }
      results[i] = s;
      // On a full disk or an I/O error SQLite may roll back the whole transaction by itself. The
      // jobs before this one are then gone too, and the next SAVEPOINT would open a fresh
      // transaction that RELEASE commits on its own. So the group ends here, failed, with the
      // error that ended it (e.g. StorageFull), and its remaining jobs are not run.
      if (sqlite3_get_autocommit(db) != 0) {
        group_status =
            s.ok() ? Status::StorageUnavailable("storage unavailable: transaction rolled back") : s;
      }
    }
    // Runs `part` in a savepoint of its own: its failure rolls back that part alone, unless it took
    // the whole transaction with it, which fails the group. Returns the part's status. The three
    // statements are spelled out, not built from a name, because Connection::Run caches
    // statements by their literal's address.
    auto run_part = [&](const char* begin, const char* undo, const char* end,
                        const std::function<Status()>& part) {
      Status p = GuardSqlite([&] {
        writer_->Run(begin);
        return part();
      });
      if (sqlite3_get_autocommit(db) != 0) {
        group_status =
            p.ok() ? Status::StorageUnavailable("storage unavailable: transaction rolled back") : p;
        return p;
      }
      GuardSqlite([&] {
        if (!p.ok()) writer_->Run(undo);
        writer_->Run(end);
        return Status::Ok();
      });
      return p;
    };
    // Audit rows of requests answered since the last group ride along in this transaction:
    // failing to store them never fails the jobs' commit.
    if (group_status.ok() && !audit.empty()) {
      Status a = run_part("SAVEPOINT audit", "ROLLBACK TO audit", "RELEASE audit", [&] {
        Status st;
        for (size_t i = 0; st.ok() && i < audit.size(); ++i) st = txn.InsertAudit(audit[i]);
        return st;
      });
      audit_stored = group_status.ok() && a.ok();
    }
    // The next slice of remembered event ids goes into the id index with this commit: failing to
    // merge never fails the jobs (the ids stay remembered and the slice is offered again).
    if (group_status.ok()) {
      Status m = run_part("SAVEPOINT merge", "ROLLBACK TO merge", "RELEASE merge", [&] {
        MergeEventIds(writer_.get(), &recent_ids_);
        return Status::Ok();
      });
      if (group_status.ok() && !m.ok()) {
        recent_ids_.ForgetMergeSlice();
        event_id_merge_failures_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (group_status.ok()) {
      group_status = GuardSqlite([&] {
        writer_->ResetStatements();
        writer_->Run("COMMIT");
        return Status::Ok();
      });
    }
    if (!group_status.ok()) {
      GuardSqlite([&] {
        writer_->ResetStatements();
        if (!writer_->db().getHandle() || sqlite3_get_autocommit(writer_->db().getHandle()) == 0) {
          writer_->Exec("ROLLBACK");
        }
        return Status::Ok();
      });
    }
  }
  // The remembered event ids follow the transaction's fate.
  if (group_status.ok()) {
    recent_ids_.Commit();
  } else {
    recent_ids_.Abort();
  }
  if ((!group_status.ok() || !audit_stored) && !audit.empty()) {
    // Kept, ahead of newer rows, for the next group rather than lost with this one; what no
    // longer fits the bound is counted as dropped.
    std::lock_guard<std::mutex> lock(audit_mu_);
    const size_t room = options_.audit_buffer_max > audit_pending_.size()
                            ? options_.audit_buffer_max - audit_pending_.size()
                            : 0;
    const size_t keep = std::min(room, audit.size());
    audit_dropped_.fetch_add(static_cast<int64_t>(audit.size() - keep), std::memory_order_relaxed);
    audit_pending_.insert(audit_pending_.begin(), std::make_move_iterator(audit.begin()),
                          std::make_move_iterator(audit.begin() + static_cast<long>(keep)));
  }
  for (size_t i = 0; i < runnable.size(); ++i) {
    // Nothing of a job is durable unless the group committed: a 2xx only follows a commit.
    runnable[i]->done.set_value(group_status.ok() ? results[i] : group_status);
  }
  if (group_status.ok()) {
    commits_since_checkpoint_.fetch_add(1, std::memory_order_relaxed);
    checkpoint_cv_.notify_one();
  }
}

void Store::CheckpointLoop() {
  pthread_setname_np(pthread_self(), "vigil-ckpt");
  // Checkpoint once the WAL holds about a group's worth of frames not yet copied, or once writes
  // have gone quiet. Running them here keeps their copying and fsyncs off the commit path. Small
  // and frequent beat large and rare here (storage/DESIGN.md has the figures): a large checkpoint's
  // fsync of the database file holds the writer's WAL fsync behind it for tens of milliseconds.
  constexpr int kCheckpointFrames = 256;  // 1 MiB of 4 KiB pages
  int ckpt_frames = 0;                    // frames the last checkpoint had copied...
  int64_t ckpt_restarts = 0;              // ...of the WAL as it was after this many restarts
  bool dirty = false;
  std::unique_lock<std::mutex> lock(checkpoint_mu_);
  while (!checkpoint_stop_) {
    checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (checkpoint_stop_) break;
    const bool wrote = commits_since_checkpoint_.exchange(0) > 0;
    dirty = dirty || wrote;
    if (!dirty) continue;
    // Since a restart every frame in the WAL is new.
    const int64_t restarts = wal_restarts_.load(std::memory_order_relaxed);
    const int frames = wal_frames_.load(std::memory_order_relaxed);
    const int pending = restarts == ckpt_restarts ? frames - ckpt_frames : frames;
    if (wrote && pending < kCheckpointFrames) continue;
    lock.unlock();
    int log_frames = 0;
    const int64_t restarts_before = wal_restarts_.load(std::memory_order_relaxed);
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer_->db().getHandle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, &log_frames, &ckpt_frames);
    ckpt_restarts = restarts_before;
    lock.lock();
    // Quiet and fully copied: nothing left to do until the next write.
    if (rc == SQLITE_OK && !wrote && ckpt_frames == log_frames) dirty = false;
  }
}

Status Store::Read(const std::function<Status(ReadTxn&)>& fn) {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock<std::mutex> lock(readers_mu_);
    if (!readers_cv_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                              [this] { return !idle_readers_.empty(); })) {
      return Busy();
    }
    conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
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
    std::lock_guard<std::mutex> lock(readers_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  readers_cv_.notify_one();
  return s;
}

Status BackupDatabase(const std::string& src_path, const std::string& dest_path) {
  return GuardSqlite([&] {
    ConnectionOptions o;
    o.path = src_path;
    o.read_only = true;
    Connection src(o);
    SQLite::Database dest(dest_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    sqlite3_backup* b = sqlite3_backup_init(dest.getHandle(), "main", src.db().getHandle(), "main");
    if (!b) return SqliteStatus(sqlite3_errcode(dest.getHandle()), "backup init");
    int rc;
    while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
           rc == SQLITE_LOCKED) {
      if (rc != SQLITE_OK) sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) return SqliteStatus(rc, "backup step");
    return Status::Ok();
  });
}

Status CheckDatabase(const std::string& path, std::string* report) {
  return GuardSqlite([&] {
    ConnectionOptions o;
    o.path = path;
    o.read_only = true;
    Connection c(o);
    SQLite::Statement q(c.db(), "PRAGMA integrity_check");
    report->clear();
    while (q.executeStep()) {
      if (!report->empty()) *report += "\n";
      *report += q.getColumn(0).getString();
    }
    SQLite::Statement fk(c.db(), "PRAGMA foreign_key_check");
    if (fk.executeStep()) *report += "\nforeign key violations found";
    return *report == "ok" ? Status::Ok() : Status::Internal("integrity check failed");
  });
}

}  // namespace vigil
