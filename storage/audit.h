// The audit log: who did what, to which project, when. Rows are only ever appended (by the
// engine's audit buffer, storage/store.h AppendAudit, or inside a write job) and pruned by age.
//
// Conventions (absence, errors, thread-safety): storage/txn.h. Tenancy here is carried by the rows
// and the filter: AuditEntry::project names the row's project (0 = none), and a filter reads one
// project unless it asks for all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "domain/audit.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Appends `e` (its audit_id is assigned, increasing, never reused). A row naming a project that no
// longer exists is dropped silently: it must not linger as an orphan.
Status InsertAudit(WriteTxn& txn, const AuditEntry& e);
// Deletes at most `limit` rows, of any project, older than `cutoff_ms`, oldest first; returns how
// many. Cross-tenant by design: the retention sweep.
Result<int64_t> PruneAudit(WriteTxn& txn, int64_t cutoff_ms, int64_t limit);

// Reads. Each matches `f`: rows of f.project only, unless f.all_projects (the admin view,
// cross-tenant; then f.project, if set, narrows it to one project), within [since, until] and of
// f.action when set.
// One page (f.limit, f.offset), newest first.
Result<std::vector<AuditEntry>> ListAudit(Txn& txn, const AuditFilter& f);
// The next f.limit rows with an id above f.after_audit_id, oldest first (keyset paging, stable
// while rows are appended).
Result<std::vector<AuditEntry>> ListAuditAfter(Txn& txn, const AuditFilter& f);
// Every matching row oldest first, handed to `fn` one at a time (memory stays flat); `fn` returns
// false to stop (the client went away).
Status ForEachAudit(Txn& txn, const AuditFilter& f,
                    const std::function<bool(const AuditEntry&)>& fn);

}  // namespace vigil::storage
