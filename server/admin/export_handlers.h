// GET /admin/projects/{id}/export (docs/api.md#admin-api): every row a project owns, as one NDJSON
// stream from one read snapshot.
#pragma once

#include "server/http/request.h"

namespace vigil {

class DrainSignal;
class Store;

class ExportHandlers {
 public:
  // Both must outlive the handlers (a stream outlives its handler call); the stream ends when
  // `drain` is set.
  ExportHandlers(Store& store, const DrainSignal& drain) : store_(store), drain_(drain) {}

  void Export(RequestContext& ctx);

 private:
  Store& store_;
  const DrainSignal& drain_;
};

}  // namespace vigil
