// A project's export: every row it owns, streamed one at a time to callbacks so memory stays flat
// however large the project. Each callback returns false to stop early (the client went away).
// Run them inside one read transaction so the export is one consistent snapshot.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "domain/detection_rows.h"
#include "domain/model.h"
#include "domain/status.h"
#include "domain/webhook.h"
#include "storage/txn.h"

namespace vigil::storage {

// Every execution of the project (newest started first) with its row id, for ForEachEventOf.
Status ForEachExecution(Txn& txn, int64_t project,
                        const std::function<bool(int64_t row, const Execution&)>& fn);
// Every event of one of the project's executions, by sequence then arrival. The event's
// execution_id is left empty (the caller knows it).
Status ForEachEventOf(Txn& txn, int64_t project, int64_t execution_row,
                      const std::function<bool(const Event&)>& fn);
// Every finding of the project with its execution id, oldest detected first.
Status ForEachFinding(
    Txn& txn, int64_t project,
    const std::function<bool(const std::string& execution_id, const StoredFinding&)>& fn);
// Every webhook delivery log row of the project with its webhook id, oldest first.
Status ForEachWebhookDelivery(
    Txn& txn, int64_t project,
    const std::function<bool(const std::string& webhook_id, const WebhookAttemptRow&)>& fn);
// Rows the project owns, per table, in every table that holds project rows (delete verification,
// the export's closing line).
Result<std::vector<std::pair<std::string, int64_t>>> CountProjectRows(Txn& txn, int64_t project);

}  // namespace vigil::storage
