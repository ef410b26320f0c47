// The audit-log routes (docs/api.md#audit-log): a project's own log (API key) and every project's
// (admin), as a JSON page or an NDJSON download.
#pragma once

#include "domain/audit.h"
#include "server/http/request.h"

namespace vigil {

class DrainSignal;
class Store;

class AuditHandlers {
 public:
  // Both must outlive the handlers (a download outlives its handler call); a download ends when
  // `drain` is set.
  AuditHandlers(Store& store, const DrainSignal& drain) : store_(store), drain_(drain) {}

  void ProjectLog(RequestContext& ctx);
  void AdminLog(RequestContext& ctx);

 private:
  // Answers with the entries `f` selects, in the format the query asks for.
  void Send(RequestContext& ctx, const AuditFilter& f);

  Store& store_;
  const DrainSignal& drain_;
};

}  // namespace vigil
