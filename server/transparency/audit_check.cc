// Recomputing sealed entries (server/transparency/audit_check.h).
#include "server/transparency/audit_check.h"

#include <simdjson.h>

#include "domain/tlog/note.h"
#include "server/limits.h"
#include "server/transparency/entry_builder.h"
#include "storage/detection.h"
#include "storage/transparency.h"

namespace vigil {
namespace {

// The names of the top-level fields whose values differ between two entries.
std::string DifferingFields(const std::string& sealed, const std::string& now) {
  simdjson::dom::parser pa, pb;
  simdjson::dom::element a, b;
  if (pa.parse(sealed).get(a) != simdjson::SUCCESS || pb.parse(now).get(b) != simdjson::SUCCESS) {
    return "entry";
  }
  std::string out;
  simdjson::dom::object oa, ob;
  if (a.get(oa) != simdjson::SUCCESS || b.get(ob) != simdjson::SUCCESS) return "entry";
  for (simdjson::dom::key_value_pair kv : oa) {
    simdjson::dom::element other;
    const bool same = ob[kv.key].get(other) == simdjson::SUCCESS &&
                      simdjson::minify(kv.value) == simdjson::minify(other);
    if (!same) out += (out.empty() ? "" : ", ") + std::string(kv.key);
  }
  return out.empty() ? "entry" : out;
}

// The fields of a sealed entry the recomputation needs ("" when absent).
struct SealedFields {
  std::string project_id;
  std::string policy_sha256;
};

SealedFields SealedFieldsOf(const std::string& entry) {
  // One parser per thread, reused: a check reads every entry of every log.
  thread_local simdjson::dom::parser parser;
  SealedFields out;
  simdjson::dom::element doc;
  if (parser.parse(entry).get(doc) != simdjson::SUCCESS) return out;
  std::string_view v;
  if (doc["project_id"].get(v) == simdjson::SUCCESS) out.project_id = std::string(v);
  if (doc["policy_sha256"].get(v) == simdjson::SUCCESS) out.policy_sha256 = std::string(v);
  return out;
}

// Compares one sealed entry with what the database holds now.
Status AuditSeal(ReadTxn& txn, int64_t project, const storage::SealRecord& seal,
                 SealAuditReport* report) {
  const SealedFields sealed = SealedFieldsOf(seal.entry);
  const std::string& project_id = sealed.project_id;
  const std::string where =
      project_id + "/" + seal.execution_id + " (index " + std::to_string(seal.index) + "): ";
  auto leaf = storage::LoadTreeNode(txn, project, 0, seal.index);
  if (!leaf.ok() || leaf.value() != tlog::LeafHash(seal.entry)) {
    report->log_faults.push_back(where + "stored leaf hash does not match the entry");
  }
  EntryStream stream(seal.last_event);  // as the sealer built it: one event held at a time
  auto in = storage::LoadForDetection(txn, project, seal.execution_id, [&stream](Event& e) {
    stream.Add(e);
    return storage::EventRead::kDrop;
  });
  if (!in.ok()) return in.status();
  ++report->checked;
  if (!in.value()) {
    ++report->removed;
    return Status::Ok();
  }
  auto findings = storage::LoadFindings(txn, project, in.value()->row_id);
  if (!findings.ok()) return findings.status();
  const std::string now = tlog::EntryBytes(
      stream.Finish(project_id, in.value()->execution, findings.value(), sealed.policy_sha256));
  if (now != seal.entry) {
    report->changed.push_back(where + "changed after sealing: " + DifferingFields(seal.entry, now));
  }
  return Status::Ok();
}

// Every seal of one project, then its stored hashes against its latest checkpoint.
Status AuditLog(Store& store, int64_t project, SealAuditReport* report) {
  std::optional<storage::CheckpointRow> latest;
  Status s = store.Read([&](ReadTxn& txn) {
    auto row = storage::LatestCheckpoint(txn, project);
    if (!row.ok()) return row.status();
    latest = row.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  tlog::TreeBuilder tree;
  std::optional<tlog::Hash> root_at_checkpoint;
  for (uint64_t next = 0;;) {
    auto page = store.ReadValue([&](ReadTxn& txn) -> Result<std::vector<storage::SealRecord>> {
      auto seals = storage::ListSeals(txn, project, next, limits::kSealBatch);
      if (!seals.ok()) return seals;
      for (const storage::SealRecord& seal : seals.value()) {
        Status a = AuditSeal(txn, project, seal, report);
        if (!a.ok()) return a;
      }
      return seals;
    });
    if (!page.ok()) return page.status();
    for (const storage::SealRecord& seal : page.value()) {
      tree.Append(tlog::LeafHash(seal.entry));
      if (latest && tree.size() == latest->size) root_at_checkpoint = tree.Root();
    }
    if (static_cast<int64_t>(page.value().size()) < limits::kSealBatch) break;
    next = page.value().back().index + 1;
  }
  if (!latest) return Status::Ok();
  auto checkpoint = tlog::ParseCheckpoint(latest->note.substr(0, latest->note.find("\n\n") + 1));
  if (!checkpoint.ok() || !root_at_checkpoint || checkpoint->root != *root_at_checkpoint) {
    report->log_faults.push_back("project " + std::to_string(project) +
                                 ": the latest checkpoint's root does not match the entries");
  }
  return Status::Ok();
}

}  // namespace

Result<SealAuditReport> AuditSealedRecords(Store& store) {
  SealAuditReport report;
  auto projects =
      store.ReadValue([](ReadTxn& txn) { return storage::ListTransparencyProjects(txn); });
  if (!projects.ok()) return projects.status();
  for (int64_t project : projects.value()) {
    ++report.logs;
    Status s = AuditLog(store, project, &report);
    if (!s.ok()) return s;
  }
  return report;
}

}  // namespace vigil
