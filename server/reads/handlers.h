// The read routes of the caller's project (docs/api.md#reads): the project, executions with their
// events and findings, and the dashboard's statistics. Reads use pooled read-only connections and
// never wait for the writer.
#pragma once

#include <string>

#include "domain/execution_rows.h"
#include "server/http/request.h"

namespace vigil {

class Store;

// Sends the page of the caller's executions that `f` selects, as GET /executions lists them;
// `group_id`, unless empty, is added as the failure group the page lists.
void SendExecutionPage(Store& store, RequestContext& ctx, const ExecutionFilter& f,
                       const std::string& group_id);

class ReadHandlers {
 public:
  // `store` must outlive the handlers.
  explicit ReadHandlers(Store& store) : store_(store) {}

  void GetProject(RequestContext& ctx);
  void ListExecutions(RequestContext& ctx);
  void GetExecution(RequestContext& ctx);
  void ListEvents(RequestContext& ctx);
  void Stats(RequestContext& ctx);
  void TimeSeries(RequestContext& ctx);

 private:
  Store& store_;
};

}  // namespace vigil
