// The ingestion routes (docs/api.md#ingestion): POST /executions, PATCH /executions/{id} and
// POST /events. Every write goes through the group-committing writer, and the response is sent
// only after the commit that contains it; the detection passes a write triggers run before it.
#pragma once

#include <string>
#include <vector>

#include "detectors/policy.h"
#include "domain/execution_rows.h"
#include "domain/merge.h"
#include "server/http/request.h"
#include "storage/events.h"

namespace vigil {

class AbuseMonitor;
class Detection;
class Metrics;
class Store;

class IngestHandlers {
 public:
  // Every reference must outlive the handlers.
  IngestHandlers(Store& store, Detection& detection, AbuseMonitor& abuse, Metrics& metrics)
      : store_(store), detection_(detection), abuse_(abuse), metrics_(metrics) {}

  void CreateExecution(RequestContext& ctx);
  void PatchExecution(RequestContext& ctx);
  void IngestEvents(RequestContext& ctx);

  // The steps of POST /events after parsing, for every path that ingests events: the live
  // detection pass, one commit with the implicit executions and live findings, then the final
  // pass of terminal executions that received new events. `events` holds no repeated ids.
  // `moves` (storage/events.h MoveEvents) commit with them.
  Status StoreEvents(RequestContext& ctx, const std::vector<Event>& events, IngestResult* result,
                     const std::vector<storage::EventMove>& moves = {});
  // The steps of POST /executions after parsing: merge, then the final pass when terminal.
  Result<UpsertResult> MergeExecution(RequestContext& ctx, const ExecutionPatch& patch);
  // Whether parsed events should carry the live loop detectors' numbers (ParseEventBatch).
  bool detection_fields() const;

 private:
  // Shared by POST and PATCH: both merge the same field set (docs/protocol.md#the-merge-rule).
  void UpsertExecution(RequestContext& ctx, ExecutionPatch patch,
                       const std::string& body_project_id);
  // After moves committed: the live views of the executions they touched are stale.
  void ForgetMoved(int64_t project, const std::vector<storage::EventMove>& moves);
  // Late events for a terminal execution re-run its final pass.
  Status RerunFinalPasses(RequestContext& ctx, const IngestResult& result, const Policy& policy);

  Store& store_;
  Detection& detection_;
  AbuseMonitor& abuse_;
  Metrics& metrics_;
};

}  // namespace vigil
