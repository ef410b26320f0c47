// GET /admin/projects/{id}/export (docs/api.md#admin-api): every row a project owns, as one NDJSON
// stream from one read snapshot.
#pragma once

#include "server/http/request.h"

namespace vigil {

class DrainSignal;
class Store;
class Transparency;

class ExportHandlers {
 public:
  // All must outlive the handlers (a stream outlives its handler call); the stream ends when
  // `drain` is set. `log` signs the checkpoint the export's certificates prove against.
  ExportHandlers(Store& store, const DrainSignal& drain, Transparency& log)
      : store_(store), drain_(drain), log_(log) {}

  void Export(RequestContext& ctx);

 private:
  Store& store_;
  const DrainSignal& drain_;
  Transparency& log_;
};

}  // namespace vigil
