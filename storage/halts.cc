// Halts: the persisted halt request of an execution (storage/halts.h).
#include "storage/halts.h"

#include "domain/model.h"
#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {

Result<HaltState> GetHaltState(Txn& txn, int64_t project, const std::string& execution_id) {
  return Query<HaltState>([&](HaltState& h) {
    auto& q = Prepared(txn.conn(),
                       "SELECT status, COALESCE(halt_reason, '') FROM executions"
                       " WHERE project = ? AND execution_id = ?",
                       project, execution_id);
    if (q.executeStep()) {
      h.exists = true;
      h.terminal = IsTerminal(ExecutionStatusColumn(q, 0));
      h.halt_reason = q.getColumn(1).getString();
    }
    return Status::Ok();
  });
}

Result<HaltState> RequestHalt(WriteTxn& txn, int64_t project, const std::string& execution_id,
                              const std::string& reason, int64_t now_ms) {
  auto h = GetHaltState(txn, project, execution_id);
  if (!h.ok() || !h->exists || h->terminal) return h;
  Status s = Execute(txn.conn(),
                     "UPDATE executions SET halt_reason = ?, halt_requested_at = ?"
                     " WHERE project = ? AND execution_id = ?",
                     reason, now_ms, project, execution_id);
  if (!s.ok()) return s;
  h->halt_reason = reason;
  return h;
}

}  // namespace vigil::storage
