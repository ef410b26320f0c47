// Sealing terminal executions (server/transparency/sealer.h).
#include "server/transparency/sealer.h"

#include <pthread.h>

#include <chrono>
#include <vector>

#include "domain/hash.h"
#include "server/codec/policy_codec.h"
#include "server/detection/detection.h"
#include "server/http/log.h"
#include "server/http/metrics.h"
#include "server/limits.h"
#include "server/transparency/audit_check.h"
#include "server/transparency/entry_builder.h"
#include "server/transparency/transparency.h"
#include "storage/detection.h"
#include "storage/transparency.h"

namespace vigil {

struct Sealer::Prepared {
  storage::PendingSeal pending;
  bool gone = false;  // the execution no longer exists: drop it from the queue
  int64_t row = 0;
  int64_t revision = 0;
  int64_t events_read = 0;
  storage::SealRecord seal;
};

namespace {

int64_t SealerNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Sealer::Sealer(Store* store, Detection* detection, Transparency* log)
    : store_(store), detection_(detection), log_(log) {}

Sealer::~Sealer() { Stop(); }

void Sealer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "vigil-sealer");
    Run();
  });
  if (metrics_ != nullptr && audit_interval_ms_ > 0) {
    audit_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "vigil-sealaudit");
      RunAudits();
    });
  }
}

void Sealer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (audit_thread_.joinable()) audit_thread_.join();
}

void Sealer::RunAudits() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    // Reads the whole log in short read transactions: it never holds the writer.
    auto report = AuditSealedRecords(*store_);
    if (report.ok()) {
      metrics_->SetTransparencyAudit(static_cast<int64_t>(report->changed.size()),
                                     static_cast<int64_t>(report->log_faults.size()));
      if (!report->clean()) {
        log::Warn("transparency audit check: sealed records changed after sealing",
                  {log::Num("changed", static_cast<int64_t>(report->changed.size())),
                   log::Num("log_faults", static_cast<int64_t>(report->log_faults.size()))});
      }
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(audit_interval_ms_), [this] { return stop_; });
  }
}

void Sealer::MarkReady(int64_t project, const std::string& execution_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ready_.size() < limits::kMaxSealReadyRemembered) ready_.insert({project, execution_id});
    woken_ = true;
  }
  wake_.notify_all();
}

void Sealer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(limits::kSealPollMs),
                   [this] { return stop_ || woken_; });
    if (stop_) break;
    // Completions that arrive together are sealed together: one round, one commit.
    wake_.wait_for(lock, std::chrono::milliseconds(limits::kSealCoalesceMs),
                   [this] { return stop_; });
    if (stop_) break;
    woken_ = false;
    lock.unlock();
    auto sealed = SealDue(SealerNowMs());
    if (!sealed.ok()) {
      log::Warn("sealing into the transparency log failed, retrying",
                {log::Str("error", sealed.status().message())});
    }
    lock.lock();
  }
}

bool Sealer::Due(const Key& key, const std::string& project_id, int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ready_.count(key) > 0) return true;
    auto seen = first_seen_ms_.emplace(key, now_ms).first;
    if (now_ms - seen->second < limits::kSealGraceMs) return false;
  }
  // No final pass was seen to finish: run one, so the sealed findings are the final ones.
  auto policy = detection_->PolicyFor(key.first);
  if (!policy.ok()) return false;
  return detection_->FinalPass(key.first, project_id, key.second, policy.value(), now_ms).ok();
}

Status Sealer::PolicyDigest(int64_t project, std::map<int64_t, std::string>* digests) {
  if (digests->count(project) > 0) return Status::Ok();
  auto policy = detection_->PolicyFor(project);
  if (!policy.ok()) return policy.status();
  digests->emplace(project, Sha256Hex(PolicyToJson(policy.value())));
  return Status::Ok();
}

Status Sealer::Prepare(ReadTxn& txn, const storage::PendingSeal& p,
                       const std::string& policy_sha256, Prepared* prep) {
  *prep = Prepared();
  prep->pending = p;
  prep->gone = p.project_id.empty();
  if (prep->gone) return Status::Ok();
  // Each event goes into the entry as it is read and is not kept: sealing holds one event at a
  // time, whatever the execution's size.
  EntryStream stream;
  auto in = storage::LoadForDetection(txn, p.project, p.execution_id, [&stream](Event& e) {
    stream.Add(e);
    return storage::EventRead::kDrop;
  });
  if (!in.ok()) return in.status();
  if (!in.value() || !IsTerminal(in.value()->execution.status)) {
    prep->gone = true;
    return Status::Ok();
  }
  auto findings = storage::LoadFindings(txn, p.project, in.value()->row_id);
  if (!findings.ok()) return findings.status();
  prep->events_read = stream.events();
  prep->row = in.value()->row_id;
  prep->revision = in.value()->revision;
  prep->seal.execution_id = p.execution_id;
  prep->seal.last_event = stream.last_row();
  prep->seal.sealed_revision = prep->revision;
  prep->seal.entry = tlog::EntryBytes(
      stream.Finish(p.project_id, in.value()->execution, findings.value(), policy_sha256));
  return Status::Ok();
}

Status Sealer::PrepareAll(const std::vector<const storage::PendingSeal*>& due,
                          const std::map<int64_t, std::string>& digests,
                          std::vector<Prepared>* batch) {
  batch->assign(due.size(), Prepared());
  for (size_t first = 0; first < due.size();) {
    size_t end = first;
    Status s = store_->Read([&](ReadTxn& txn) {
      end = first;  // from the start again, should the read be retried
      for (int64_t events = 0; end < due.size() && events < limits::kSealSnapshotEvents; ++end) {
        const auto digest = digests.find(due[end]->project);
        Prepared& prep = (*batch)[end];
        Status p = Prepare(txn, *due[end], digest == digests.end() ? std::string() : digest->second,
                           &prep);
        if (!p.ok()) return p;
        events += prep.events_read;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    first = end;
  }
  return Status::Ok();
}

Result<int64_t> Sealer::SealDue(int64_t now_ms) {
  int64_t total = 0;
  storage::PendingSeal cursor;
  std::map<int64_t, std::string> policy_digests;  // per project, for this round
  std::set<Key> stale;  // remembered before the round; what the queue no longer holds goes
  {
    std::lock_guard<std::mutex> lock(mu_);
    stale = ready_;
    for (const auto& seen : first_seen_ms_) stale.insert(seen.first);
  }
  for (;;) {
    auto pending = store_->ReadValue([&](ReadTxn& txn) {
      return storage::ListPendingSeals(txn, cursor.id, limits::kSealBatch);
    });
    if (!pending.ok()) return pending.status();
    if (pending.value().empty()) break;
    cursor = pending.value().back();
    std::vector<const storage::PendingSeal*> due;
    for (const storage::PendingSeal& p : pending.value()) {
      stale.erase({p.project, p.execution_id});
      if (p.project_id.empty()) {
        due.push_back(&p);
        continue;
      }
      if (!Due({p.project, p.execution_id}, p.project_id, now_ms)) continue;
      Status s = PolicyDigest(p.project, &policy_digests);
      if (!s.ok()) return s;
      due.push_back(&p);
    }
    std::vector<Prepared> batch;
    Status s = PrepareAll(due, policy_digests, &batch);
    if (!s.ok()) return s;
    auto sealed = SealBatch(batch, now_ms);
    if (!sealed.ok()) return sealed.status();
    total += sealed.value();
    if (static_cast<int64_t>(pending.value().size()) < limits::kSealBatch) break;
  }
  // Final passes of executions sealed already (late events) mark them ready too: forget them.
  std::lock_guard<std::mutex> lock(mu_);
  for (const Key& key : stale) {
    ready_.erase(key);
    first_seen_ms_.erase(key);
  }
  return total;
}

Result<int64_t> Sealer::SealBatch(const std::vector<Prepared>& batch, int64_t now_ms) {
  if (batch.empty()) return int64_t{0};
  std::vector<const Prepared*> done;
  Status s = store_->Write([&](WriteTxn& txn) {
    done.clear();
    for (const Prepared& p : batch) {
      const int64_t project = p.pending.project;
      if (!p.gone) {
        auto revision = storage::Revision(txn, project, p.row);
        if (!revision.ok()) return revision.status();
        if (!revision.value() || *revision.value() != p.revision) continue;  // next round
        if (p.seal.entry.size() > tlog::kMaxEntryBytes) {
          return Status::Internal("a log entry is longer than 65535 bytes");
        }
        auto index = storage::AppendTransparencyEntry(
            txn, project, log_->Origin(p.pending.project_id), p.seal, now_ms);
        if (!index.ok() && index.status().code() != Code::kConflict) return index.status();
      }
      Status d = storage::DropPendingSeal(txn, project, p.pending.execution_id);
      if (!d.ok()) return d;
      done.push_back(&p);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  std::set<std::pair<int64_t, std::string>> projects;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Prepared* p : done) {
      const Key key{p->pending.project, p->pending.execution_id};
      ready_.erase(key);
      first_seen_ms_.erase(key);
      if (!p->gone) projects.insert({p->pending.project, p->pending.project_id});
    }
  }
  for (const auto& [project, project_id] : projects) {
    Status signed_ = log_->MaybeSign(project, project_id, now_ms);
    if (!signed_.ok()) return signed_;
  }
  return static_cast<int64_t>(done.size());
}

}  // namespace vigil
