#include "server/halt/service.h"

#include "server/codec/json_writer.h"
#include "server/halt/halt.h"
#include "storage/audit.h"
#include "storage/halts.h"
#include "storage/store.h"

namespace vigil {

Result<HaltOutcome> HaltService::Request(int64_t project, const std::string& execution_id,
                                         const std::string& reason, int64_t now_ms,
                                         AuditEntry audit) {
  auto state = store_.WriteValue([&](WriteTxn& txn) -> Result<HaltState> {
    auto r = storage::RequestHalt(txn, project, execution_id, reason, now_ms);
    if (!r.ok() || !r->exists) return r;
    JsonWriter detail;
    detail.BeginObject()
        .Field("execution_id", execution_id)
        .Field("reason", reason)
        .Field("terminal", r->terminal)
        .EndObject();
    audit.action = "halt.request";
    audit.detail_json = detail.Take();
    Status s = storage::InsertAudit(txn, audit);
    if (!s.ok()) return s;
    return r;
  });
  if (!state.ok()) return state.status();
  HaltOutcome out;
  out.exists = state->exists;
  if (!out.exists) {
    // The execution's creation may still be on its way (an SDK queues it) while its halt stream
    // is already open: that stream hears the halt now. Nothing is stored for an unknown id.
    out.notified = streams_.Notify(project, execution_id, reason);
    if (out.notified > 0) {
      JsonWriter detail;
      detail.BeginObject()
          .Field("execution_id", execution_id)
          .Field("reason", reason)
          .Field("stored", false)
          .EndObject();
      audit.action = "halt.request";
      audit.detail_json = detail.Take();
      Status s = store_.Write([&](WriteTxn& txn) { return storage::InsertAudit(txn, audit); });
      if (!s.ok()) return s;
    }
    return out;
  }
  // Persisted (and committed) first, then announced: a stream that subscribes in between reads
  // the persisted halt, one that subscribed earlier is notified.
  out.notified = streams_.Notify(project, execution_id, reason);
  out.pending = !state->terminal && out.notified == 0;
  return out;
}

}  // namespace vigil
