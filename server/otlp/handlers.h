// POST /v1/traces (docs/api.md#opentelemetry-traces): OTLP/HTTP trace exports, in protobuf or
// JSON, optionally gzip-compressed, become executions and events through the same ingestion steps
// as POST /events and POST /executions, so live detection runs on them as on SDK events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "server/http/request.h"
#include "server/ingest/handlers.h"
#include "server/limits.h"
#include "server/otlp/span_owners.h"

namespace vigil {

class Metrics;

class OtlpHandlers {
 public:
  // `ingest` holds only references; they and `metrics` must outlive the handlers.
  OtlpHandlers(IngestHandlers ingest, Metrics& metrics, size_t max_body_bytes)
      : ingest_(ingest),
        metrics_(metrics),
        max_body_bytes_(max_body_bytes),
        owners_(std::make_shared<otlp::SpanOwnerCache>(limits::kMaxOtlpSpanOwners)),
        orphans_(std::make_shared<otlp::OrphanSpanCache>(limits::kMaxOtlpOrphanSpans,
                                                         limits::kMaxOtlpOrphanSpansPerTrace)) {}

  void ExportTraces(RequestContext& ctx);
  // The route's error body (docs/otlp.md#errors): google.rpc.Status in the request's encoding
  // (protobuf for a protobuf request, JSON otherwise), for the pipeline's refusals too.
  static void ErrorBody(const Status& status, const httplib::Request& req, ErrorResponse* response);

 private:
  // After the request's events committed: what the owner and orphan memories learn from it.
  void RememberStored(int64_t project, const std::vector<otlp::Span>& spans,
                      const std::vector<otlp::Adoption>& adopted,
                      const std::vector<otlp::OrphanSpan>& orphans);

  IngestHandlers ingest_;
  Metrics& metrics_;
  size_t max_body_bytes_;
  // Spans of earlier requests owned by nested agents' executions (shared by copies).
  std::shared_ptr<otlp::SpanOwnerCache> owners_;
  // Spans of earlier requests stored in their trace's execution below an unknown parent.
  std::shared_ptr<otlp::OrphanSpanCache> orphans_;
};

}  // namespace vigil
