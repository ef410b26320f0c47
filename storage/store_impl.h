// The engine's private state and its steps. Internal to storage/ (store.cc, group_commit.cc,
// checkpoints.cc).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/connection.h"
#include "storage/event_id_filter_build.h"
#include "storage/event_id_levels.h"
#include "storage/recent_event_ids.h"
#include "storage/store.h"

namespace vigil {

struct Store::Impl {
  struct Job {
    std::function<Status(WriteTxn&)> fn;
    std::chrono::steady_clock::time_point deadline;
    bool wait = true;
    std::promise<Status> done;
  };
  using JobPtr = std::shared_ptr<Job>;

  // What a caller hears when the writer or the reader pool cannot take it in time.
  static Status Busy() { return Status::Overloaded("server busy, retry later"); }

  explicit Impl(const StoreOptions& options);
  Status Init();
  // Refuses a file start-up must not use (storage/preflight.h) and creates a missing one.
  Status PrepareFile();
  // Queues `job` (setting its deadline); Overloaded when the store is closing or the queue is
  // full.
  Status Enqueue(JobPtr job);

  // --- the writer thread (group_commit.cc) ---
  void WriterLoop();
  void RunGroup(std::vector<JobPtr>& group);
  // Answers the jobs that waited past their deadline; returns the others.
  std::vector<JobPtr> DropExpired(std::vector<JobPtr>& group);
  std::vector<AuditEntry> TakeAudit();
  // BEGIN IMMEDIATE, and notes deletes made by other processes since the last group.
  Status BeginGroup();
  // Runs each job in its own savepoint; returns the group's status (not ok = nothing commits).
  Status RunJobs(WriteTxn& txn, const std::vector<JobPtr>& jobs, std::vector<Status>* results);
  Status RunJob(WriteTxn& txn, Job& job, Status* group_status);
  // Runs `part` in a savepoint of its own (see the .cc).
  Status RunPart(const char* begin, const char* undo, const char* end,
                 const std::function<Status()>& part, Status* group_status);
  // The audit rows ride along in the group; true when they were stored.
  bool StoreAudit(WriteTxn& txn, const std::vector<AuditEntry>& audit, Status* group_status);
  // The next slice of remembered event ids goes into the id index with the group.
  void MergeIdSlice(Status* group_status);
  // Commits when `group_status` is ok, else rolls back; returns the group's final status.
  Status EndGroup(Status group_status);
  // Puts audit rows of a failed group back, ahead of newer ones, as far as the bound allows.
  void RequeueAudit(std::vector<AuditEntry> audit);
  // The writer's transaction is gone: on a full disk or an I/O error SQLite may roll it back by
  // itself.
  bool TransactionLost();

  // Records what a finished group says about the file (see Store::Fault): its status and its jobs'.
  void NoteGroupOutcome(const Status& group_status, const std::vector<Status>& results);
  // Records a damaged file seen by a read.
  void NoteReadOutcome(const Status& s);

  // On the writer thread between groups: switches to a finished event-id filter, or starts the
  // build of one when there is none or the ids outgrew it (storage/event_id_filter_build.h).
  void TendEventIdFilter();

  // --- WAL upkeep (checkpoints.cc) ---
  void CheckpointLoop();
  // On the writer thread between groups: past the hard bound, TRUNCATE-checkpoints the WAL.
  void EnforceWalBound();
  // On the writer thread between groups: lets a long WAL restart from its top (see the .cc).
  void LetWalRestart();

  StoreOptions options;
  std::string wal_path;
  std::unique_ptr<Connection> writer;
  RecentEventIds recent_ids;  // writer thread only (after Init)
  EventIdLevels id_levels;    // writer thread only (after Init)
  int64_t data_version = 0;   // the writer's PRAGMA data_version at its last transaction
  std::atomic<int64_t> event_id_merge_failures{0};
  EventIdFilterBuild filter_build;                          // its outcome: writer thread only
  std::chrono::steady_clock::time_point filter_retry_at{};  // writer thread only
  std::atomic<int64_t> event_id_filter_failures{0};
  std::atomic<int64_t> event_id_filter_bytes{0};  // the filter in use; 0 while the first builds
  std::atomic<int64_t> event_id_memory_bytes{0};  // RecentEventIds::memory_bytes after a group
  std::atomic<int64_t> wal_bound_checkpoints{0};
  std::atomic<int64_t> wal_bound_misses{0};
  std::chrono::steady_clock::time_point wal_bound_retry_at{};  // writer thread only
  int wal_restart_at_frames = 0;                               // writer thread only
  std::mutex audit_mu;
  std::vector<AuditEntry> audit_pending;
  std::atomic<int64_t> audit_dropped{0};

  mutable std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<JobPtr> queue;
  bool closing = false;
  std::thread writer_thread;

  std::mutex readers_mu;
  std::condition_variable readers_cv;
  std::vector<std::unique_ptr<Connection>> idle_readers;

  std::mutex checkpoint_mu;
  std::condition_variable checkpoint_cv;
  std::atomic<int64_t> commits_since_checkpoint{0};
  // Frames in the WAL after the writer's last commit (SQLite's WAL hook). The WAL file keeps its
  // size after a restart, so its size on disk says nothing about how much is left to copy.
  std::atomic<int> wal_frames{0};
  std::atomic<int64_t> wal_restarts{0};  // times a commit started the WAL from its top
  bool checkpoint_stop = false;
  std::thread checkpoint_thread;
  std::unique_ptr<Connection> checkpointer;
  std::once_flag close_once;

  mutable std::mutex fault_mu;
  Status write_fault;    // the last group's failure to write the file; Ok once a group commits
  Status corrupt_fault;  // the first damage seen; kept until restart
};

}  // namespace vigil
