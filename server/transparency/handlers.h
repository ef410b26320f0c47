// The transparency routes (docs/api.md#transparency-log): the project's verifier key, signed
// checkpoint, tiles, entry bundles and proofs, and an execution's certificate. API key required;
// a project sees only its own log.
#pragma once

#include <string>

#include "server/http/request.h"

namespace vigil {

class Transparency;
struct Certificate;

// The body of GET /executions/{id}/certificate: {"entry": base64, "index", "proof"}, which
// `vigil verify` and the SDKs' verifiers read.
std::string CertificateJson(const vigil::Certificate& cert);

class TransparencyHandlers {
 public:
  // `log` must outlive the handlers.
  explicit TransparencyHandlers(Transparency& log) : log_(log) {}

  void Key(RequestContext& ctx);
  void Checkpoint(RequestContext& ctx);
  void Tile(RequestContext& ctx);
  void InclusionProof(RequestContext& ctx);
  void ConsistencyProof(RequestContext& ctx);
  void Certificate(RequestContext& ctx);
  // POST /transparency/cosignature: a witness's cosignatures of a checkpoint.
  void AddCosignatures(RequestContext& ctx);

 private:
  Transparency& log_;
};

}  // namespace vigil
