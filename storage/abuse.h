// Abuse signals: what the abuse monitor noticed about a project, and the suspensions that follow
// when an operator does not resolve a signal in time. The operator's view and actions are
// cross-tenant by design; each signal carries its project.
//
// Conventions (absence, errors, thread-safety): storage/txn.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/account.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Stores `s` for s.project (signal ids are unique; a repeated id fails with Internal).
Status InsertAbuseSignal(WriteTxn& txn, const AbuseSignal& s);
// Resolves the signal (by the admin, with `note`); nullopt when there is no such signal. With
// `reactivate`, lifts the project's suspension if this signal's kind caused it (an operator's own
// suspension stays); *reactivated says whether it did.
Result<std::optional<AbuseSignal>> ResolveAbuseSignal(WriteTxn& txn, const std::string& signal_id,
                                                      const std::string& note, bool reactivate,
                                                      int64_t now_ms, bool* reactivated);
// Suspends the projects of unresolved signals not yet acted on and detected at or before
// `cutoff_ms` (reason `abuse:<kind>`; at most 500 signals per call, oldest first), and marks those
// signals acted on even when their project was already suspended. Returns the internal ids of the
// projects newly suspended.
Result<std::vector<int64_t>> SuspendForAbuse(WriteTxn& txn, int64_t cutoff_ms, int64_t now_ms);
// Deletes at most `limit` signals resolved before `cutoff_ms`; returns how many.
Result<int64_t> PruneResolvedAbuse(WriteTxn& txn, int64_t cutoff_ms, int64_t limit);
// Newest first, at most `limit`; unresolved only unless `include_resolved`.
Result<std::vector<AbuseSignal>> ListAbuseSignals(Txn& txn, bool include_resolved, int64_t limit);

}  // namespace vigil::storage
