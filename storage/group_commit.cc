// The writer thread: group commit. It takes the jobs waiting in the queue, runs each in a savepoint
// of one transaction, lets the queued audit rows and the next slice of the event-id merge ride
// along, and commits once for all of them (storage/DESIGN.md).
#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>

#include "storage/audit.h"
#include "storage/store_impl.h"

namespace vigil {

void Store::Impl::WriterLoop() {
  pthread_setname_np(pthread_self(), "vigil-writer");
  const size_t max_jobs = std::max<size_t>(1, options.max_jobs_per_group);
  // Audit rows of read-only traffic wait at most this long for a group to carry them.
  constexpr auto kAuditFlushInterval = std::chrono::milliseconds(200);
  for (;;) {
    std::vector<JobPtr> group;
    {
      std::unique_lock<std::mutex> lock(queue_mu);
      queue_cv.wait_for(lock, kAuditFlushInterval, [this] { return closing || !queue.empty(); });
      if (queue.empty() && closing) {
        lock.unlock();
        RunGroup(group);  // the last audit rows
        return;
      }
      while (!queue.empty() && group.size() < max_jobs) {
        group.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    RunGroup(group);
    EnforceWalBound();
    TendEventIdFilter();
  }
}

void Store::Impl::TendEventIdFilter() {
  // A build that fails (the file is busy, damaged or unreadable) is tried again after a pause;
  // until one is whole, ids are checked against the index itself.
  constexpr auto kRetryAfter = std::chrono::seconds(5);
  if (filter_build.running()) {
    if (!filter_build.finished()) return;
    if (filter_build.Join().ok()) {
      recent_ids.FilterBuilt();
      event_id_filter_bytes.store(static_cast<int64_t>(recent_ids.filter_bytes()));
    } else {
      recent_ids.FilterBuildFailed();
      event_id_filter_failures.fetch_add(1, std::memory_order_relaxed);
      filter_retry_at = std::chrono::steady_clock::now() + kRetryAfter;
    }
    return;
  }
  if (!recent_ids.WantsFilter() || std::chrono::steady_clock::now() < filter_retry_at) return;
  filter_build.Start(options.path, options.busy_timeout_ms,
                     recent_ids.StartFilter(recent_ids.stored_ids()));
}

void Store::Impl::RunGroup(std::vector<JobPtr>& group) {
  const std::vector<JobPtr> runnable = DropExpired(group);
  std::vector<AuditEntry> audit = TakeAudit();
  if (runnable.empty() && audit.empty()) return;

  std::vector<Status> results(runnable.size());
  bool audit_stored = audit.empty();
  Status group_status = BeginGroup();
  if (group_status.ok()) {
    WriteTxn txn(writer.get(), &recent_ids);
    group_status = RunJobs(txn, runnable, &results);
    if (group_status.ok() && !audit.empty()) {
      audit_stored = StoreAudit(txn, audit, &group_status);
    }
    if (group_status.ok()) MergeIdSlice(&group_status);
    group_status = EndGroup(group_status);
  }
  // The remembered event ids follow the transaction's fate.
  if (group_status.ok()) {
    recent_ids.Commit();
    id_levels.Commit();
    event_id_memory_bytes.store(static_cast<int64_t>(recent_ids.memory_bytes()),
                                std::memory_order_relaxed);
  } else {
    recent_ids.Abort();
    id_levels.Forget();
  }
  if ((!group_status.ok() || !audit_stored) && !audit.empty()) RequeueAudit(std::move(audit));
  NoteGroupOutcome(group_status, results);
  for (size_t i = 0; i < runnable.size(); ++i) {
    // Nothing of a job is durable unless the group committed: a 2xx only follows a commit.
    runnable[i]->done.set_value(group_status.ok() ? results[i] : group_status);
  }
  if (group_status.ok()) {
    commits_since_checkpoint.fetch_add(1, std::memory_order_relaxed);
    checkpoint_cv.notify_one();
  }
}

std::vector<Store::Impl::JobPtr> Store::Impl::DropExpired(std::vector<JobPtr>& group) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<JobPtr> runnable;
  for (auto& job : group) {
    // A job that waited past the busy timeout is answered 503 rather than run late: its client
    // may already have given up, and running it would only lengthen the backlog.
    if (now > job->deadline) {
      job->done.set_value(Busy());
    } else {
      runnable.push_back(job);
    }
  }
  return runnable;
}

std::vector<AuditEntry> Store::Impl::TakeAudit() {
  std::vector<AuditEntry> audit;
  std::lock_guard<std::mutex> lock(audit_mu);
  audit.swap(audit_pending);
  return audit;
}

Status Store::Impl::BeginGroup() {
  return GuardSqlite([&] {
    writer->Run("BEGIN IMMEDIATE");
    // Another process (an operator command such as `vigil prune`) may have deleted events since
    // this connection's last transaction: remembered event ids must then be verified.
    auto& v = writer->Prepare("PRAGMA data_version");
    v.executeStep();
    const int64_t version = v.getColumn(0).getInt64();
    v.reset();
    if (version != data_version) recent_ids.NoteDeletes();
    data_version = version;
    return Status::Ok();
  });
}

bool Store::Impl::TransactionLost() {
  return sqlite3_get_autocommit(writer->db().getHandle()) != 0;
}

Status Store::Impl::RunJobs(WriteTxn& txn, const std::vector<JobPtr>& jobs,
                            std::vector<Status>* results) {
  Status group_status;
  for (size_t i = 0; i < jobs.size() && group_status.ok(); ++i) {
    (*results)[i] = RunJob(txn, *jobs[i], &group_status);
  }
  return group_status;
}

Status Store::Impl::RunJob(WriteTxn& txn, Job& job, Status* group_status) {
  const size_t ids_mark = recent_ids.JobMark();
  Status s = GuardSqlite([&] {
    writer->Run("SAVEPOINT job");
    return Status::Ok();
  });
  if (s.ok()) {
    try {
      s = job.fn(txn);
    } catch (const std::exception& e) {
      s = Status::Internal(std::string("write job threw: ") + e.what());
    }
    if (!s.ok()) recent_ids.RollbackJob(ids_mark);
    Status end = GuardSqlite([&] {
      if (!s.ok()) writer->Exec("ROLLBACK TO job");
      writer->Run("RELEASE job");
      return Status::Ok();
    });
    if (!end.ok() && s.ok()) s = end;
    // The savepoint could not be rolled back or released: what the transaction now holds is
    // unknown (and no longer matches the remembered event ids), so none of it commits.
    if (!end.ok()) *group_status = end;
  }
  // On a full disk or an I/O error SQLite may roll back the whole transaction by itself. The jobs
  // before this one are then gone too, and the next SAVEPOINT would open a fresh transaction that
  // RELEASE commits on its own. So the group ends here, failed, with the error that ended it (e.g.
  // StorageFull), and its remaining jobs are not run.
  if (TransactionLost()) {
    *group_status =
        s.ok() ? Status::StorageUnavailable("storage unavailable: transaction rolled back") : s;
  }
  return s;
}

// Its failure rolls back that part alone, unless it took the whole transaction with it, which
// fails the group. Returns the part's status. The three statements are spelled out by the callers,
// not built from a name, because Connection::Run caches statements by their literal's address.
Status Store::Impl::RunPart(const char* begin, const char* undo, const char* end,
                            const std::function<Status()>& part, Status* group_status) {
  Status p = GuardSqlite([&] {
    writer->Run(begin);
    return part();
  });
  if (TransactionLost()) {
    *group_status =
        p.ok() ? Status::StorageUnavailable("storage unavailable: transaction rolled back") : p;
    return p;
  }
  GuardSqlite([&] {
    if (!p.ok()) writer->Run(undo);
    writer->Run(end);
    return Status::Ok();
  });
  return p;
}

bool Store::Impl::StoreAudit(WriteTxn& txn, const std::vector<AuditEntry>& audit,
                             Status* group_status) {
  // Audit rows of requests answered since the last group ride along in this transaction: failing
  // to store them never fails the jobs' commit.
  Status a = RunPart(
      "SAVEPOINT audit", "ROLLBACK TO audit", "RELEASE audit",
      [&] {
        Status st;
        for (size_t i = 0; st.ok() && i < audit.size(); ++i)
          st = storage::InsertAudit(txn, audit[i]);
        return st;
      },
      group_status);
  return group_status->ok() && a.ok();
}

void Store::Impl::MergeIdSlice(Status* group_status) {
  // Failing to merge never fails the jobs (the ids stay remembered and the slice is offered again).
  Status m = RunPart(
      "SAVEPOINT merge", "ROLLBACK TO merge", "RELEASE merge",
      [&] {
        // The mark after every job: the ids this group staged.
        MergeEventIds(writer.get(), &recent_ids, &id_levels, recent_ids.JobMark());
        return Status::Ok();
      },
      group_status);
  if (group_status->ok() && !m.ok()) {
    recent_ids.ForgetMergeSlice();
    id_levels.Forget();
    event_id_merge_failures.fetch_add(1, std::memory_order_relaxed);
  }
}

Status Store::Impl::EndGroup(Status group_status) {
  if (group_status.ok()) {
    group_status = GuardSqlite([&] {
      writer->ResetStatements();
      writer->Run("COMMIT");
      return Status::Ok();
    });
  }
  if (!group_status.ok()) {
    GuardSqlite([&] {
      writer->ResetStatements();
      if (!writer->db().getHandle() || sqlite3_get_autocommit(writer->db().getHandle()) == 0) {
        writer->Exec("ROLLBACK");
      }
      return Status::Ok();
    });
  }
  return group_status;
}

namespace {

// The failures that say the file cannot be written (or is damaged), as opposed to a busy lock or a
// job's own refusal.
bool IsFileFault(Code code) {
  return code == Code::kStorageFault || code == Code::kStorageFull || code == Code::kStorageCorrupt;
}

}  // namespace

void Store::Impl::NoteGroupOutcome(const Status& group_status, const std::vector<Status>& results) {
  Status fault = IsFileFault(group_status.code()) ? group_status : Status::Ok();
  for (size_t i = 0; fault.ok() && i < results.size(); ++i) {
    if (IsFileFault(results[i].code())) fault = results[i];
  }
  std::lock_guard<std::mutex> lock(fault_mu);
  if (fault.code() == Code::kStorageCorrupt) {
    if (corrupt_fault.ok()) corrupt_fault = fault;
  } else if (!fault.ok()) {
    write_fault = fault;
  } else if (group_status.ok()) {
    write_fault = Status::Ok();
  }
}

void Store::Impl::RequeueAudit(std::vector<AuditEntry> audit) {
  // Kept, ahead of newer rows, for the next group rather than lost with this one; what no longer
  // fits the bound is counted as dropped.
  std::lock_guard<std::mutex> lock(audit_mu);
  const size_t room = options.audit_buffer_max > audit_pending.size()
                          ? options.audit_buffer_max - audit_pending.size()
                          : 0;
  const size_t keep = std::min(room, audit.size());
  audit_dropped.fetch_add(static_cast<int64_t>(audit.size() - keep), std::memory_order_relaxed);
  audit_pending.insert(audit_pending.begin(), std::make_move_iterator(audit.begin()),
                       std::make_move_iterator(audit.begin() + static_cast<long>(keep)));
}

}  // namespace vigil
