// The one route table: the inventory of Vigil's HTTP API (docs/api.md). Before a route's handler
// runs, every request passes the pipeline's named steps (server/http/pipeline.cc): backlog (503),
// declared body size (413), unknown methods, body read (413/408), draining (503), preflight (204),
// routing (404/405), then by the route's access: the admin token (401/503), or the API key (401),
// suspension (403), schema version (400) and rate limit (429), and finally Content-Type (415).
#include "server/routes.h"

namespace vigil {
namespace {

// A route's handler: `method` of the feature's handler object `obj`.
template <typename Handlers>
RouteHandler Bind(Handlers& obj, void (Handlers::*method)(RequestContext&)) {
  return [&obj, method](RequestContext& ctx) { (obj.*method)(ctx); };
}

}  // namespace

// A declarative table: one entry per route, so longer than a function should be.
std::vector<Route> BuildRoutes(FeatureHandlers& h) {
  using A = Access;
  using B = BodyUse;
  return {
      {"GET", "/health", A::kPublic, Bucket::kOther, B::kNone, Bind(h.ops, &OpsHandlers::Health)},
      {"GET", "/metrics", A::kMetrics, Bucket::kOther, B::kNone, Bind(h.ops, &OpsHandlers::Scrape)},
      {"POST", "/signup", A::kPublic, Bucket::kOther, B::kRequired,
       Bind(h.signup, &SignupHandlers::Signup)},
      {"GET", "/.well-known/security.txt", A::kPublic, Bucket::kOther, B::kNone,
       Bind(h.ops, &OpsHandlers::SecurityTxt)},
      {"POST", "/billing/webhook", A::kPublic, Bucket::kOther, B::kOptional,
       Bind(h.billing, &BillingHandlers::StripeWebhook)},

      {"POST", "/executions", A::kApiKey, Bucket::kIngest, B::kRequired,
       Bind(h.ingest, &IngestHandlers::CreateExecution)},
      {"GET", "/executions", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.reads, &ReadHandlers::ListExecutions)},
      {"GET", "/executions/{id}", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.reads, &ReadHandlers::GetExecution)},
      {"PATCH", "/executions/{id}", A::kApiKey, Bucket::kIngest, B::kRequired,
       Bind(h.ingest, &IngestHandlers::PatchExecution)},
      {"GET", "/executions/{id}/events", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.reads, &ReadHandlers::ListEvents)},
      {"POST", "/events", A::kApiKey, Bucket::kIngest, B::kRequired,
       Bind(h.ingest, &IngestHandlers::IngestEvents)},
      // OpenTelemetry trace exports (OTLP/HTTP): protobuf or JSON, checked by the handler.
      {"POST", "/v1/traces", A::kApiKey, Bucket::kIngest, B::kTyped,
       Bind(h.otlp, &OtlpHandlers::ExportTraces), &OtlpHandlers::ErrorBody},
      {"POST", "/executions/{id}/halt", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.halt, &HaltHandlers::Halt)},
      {"GET", "/executions/{id}/halt-stream", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.halt, &HaltHandlers::Stream)},

      {"GET", "/executions/{id}/certificate", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.transparency, &TransparencyHandlers::Certificate)},
      {"GET", "/transparency/key", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.transparency, &TransparencyHandlers::Key)},
      {"GET", "/transparency/checkpoint", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.transparency, &TransparencyHandlers::Checkpoint)},
      {"GET", "/transparency/tile/{path*}", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.transparency, &TransparencyHandlers::Tile)},
      {"GET", "/transparency/proof/inclusion", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.transparency, &TransparencyHandlers::InclusionProof)},
      {"GET", "/transparency/proof/consistency", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.transparency, &TransparencyHandlers::ConsistencyProof)},
      // A witness's cosigned checkpoint (text/plain), checked by the handler.
      {"POST", "/transparency/cosignature", A::kApiKey, Bucket::kOther, B::kTyped,
       Bind(h.transparency, &TransparencyHandlers::AddCosignatures)},

      {"POST", "/webhooks", A::kApiKey, Bucket::kOther, B::kRequired,
       Bind(h.webhooks, &WebhookHandlers::Create)},
      {"GET", "/webhooks", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.webhooks, &WebhookHandlers::List)},
      {"DELETE", "/webhooks/{id}", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.webhooks, &WebhookHandlers::Delete)},
      {"POST", "/webhooks/{id}/test", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.webhooks, &WebhookHandlers::Test)},
      {"GET", "/webhooks/{id}/deliveries", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.webhooks, &WebhookHandlers::ListDeliveries)},

      {"GET", "/project", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.reads, &ReadHandlers::GetProject)},
      {"GET", "/stats", A::kApiKey, Bucket::kOther, B::kNone, Bind(h.reads, &ReadHandlers::Stats)},
      {"GET", "/stats/timeseries", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.reads, &ReadHandlers::TimeSeries)},

      {"GET", "/failure-groups", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.detection, &DetectionHandlers::ListGroups)},
      {"GET", "/failure-groups/{id}", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.detection, &DetectionHandlers::GetGroup)},
      {"GET", "/failure-groups/{id}/executions", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.detection, &DetectionHandlers::ListGroupExecutions)},
      {"POST", "/failure-groups/{id}/resolve", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.detection, &DetectionHandlers::ResolveGroup)},
      {"POST", "/failure-groups/{id}/mute", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.detection, &DetectionHandlers::MuteGroup)},
      {"POST", "/failure-groups/{id}/reopen", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.detection, &DetectionHandlers::ReopenGroup)},
      {"GET", "/policy", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.detection, &DetectionHandlers::GetPolicy)},
      {"PUT", "/policy", A::kApiKey, Bucket::kOther, B::kRequired,
       Bind(h.detection, &DetectionHandlers::PutPolicy)},
      {"GET", "/playbooks", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.detection, &DetectionHandlers::GetPlaybook)},

      {"GET", "/api-keys", A::kApiKey, Bucket::kOther, B::kNone, Bind(h.keys, &KeyHandlers::List)},
      {"POST", "/api-keys", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.keys, &KeyHandlers::Create)},
      {"DELETE", "/api-keys/{id}", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.keys, &KeyHandlers::Delete)},
      {"POST", "/api-keys/{id}/rotate", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.keys, &KeyHandlers::Rotate)},

      {"GET", "/admin/projects", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.admin, &AdminHandlers::ListProjects)},
      {"GET", "/admin/projects/{id}", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.admin, &AdminHandlers::GetProject)},
      {"DELETE", "/admin/projects/{id}", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.admin, &AdminHandlers::DeleteProject)},
      {"POST", "/admin/projects/{id}/tier", A::kAdmin, Bucket::kOther, B::kRequired,
       Bind(h.admin, &AdminHandlers::SetTier)},
      {"POST", "/admin/projects/{id}/grant", A::kAdmin, Bucket::kOther, B::kRequired,
       Bind(h.admin, &AdminHandlers::Grant)},
      {"POST", "/admin/projects/{id}/rate-limit", A::kAdmin, Bucket::kOther, B::kRequired,
       Bind(h.admin, &AdminHandlers::SetRateLimit)},
      {"POST", "/admin/projects/{id}/suspend", A::kAdmin, Bucket::kOther, B::kOptional,
       Bind(h.admin, &AdminHandlers::Suspend)},
      {"POST", "/admin/projects/{id}/unsuspend", A::kAdmin, Bucket::kOther, B::kOptional,
       Bind(h.admin, &AdminHandlers::Suspend)},
      {"POST", "/admin/projects/{id}/retention", A::kAdmin, Bucket::kOther, B::kRequired,
       Bind(h.admin, &AdminHandlers::SetRetention)},
      {"GET", "/admin/storage", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.admin, &AdminHandlers::Storage)},
      {"GET", "/admin/projects/{id}/export", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.exports, &ExportHandlers::Export)},
      {"GET", "/admin/audit-log", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.audit, &AuditHandlers::AdminLog)},
      {"GET", "/admin/abuse", A::kAdmin, Bucket::kOther, B::kNone,
       Bind(h.admin, &AdminHandlers::ListAbuse)},
      {"POST", "/admin/abuse/{id}/resolve", A::kAdmin, Bucket::kOther, B::kOptional,
       Bind(h.admin, &AdminHandlers::ResolveAbuse)},

      {"GET", "/audit-log", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.audit, &AuditHandlers::ProjectLog)},
      {"GET", "/billing", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.billing, &BillingHandlers::Get)},
      {"GET", "/billing/usage", A::kApiKey, Bucket::kOther, B::kNone,
       Bind(h.billing, &BillingHandlers::Usage)},
      {"POST", "/billing/checkout", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.billing, &BillingHandlers::Checkout)},
      {"POST", "/billing/portal", A::kApiKey, Bucket::kOther, B::kOptional,
       Bind(h.billing, &BillingHandlers::Portal)},

      // The dashboard: public files; the page sends the user's key only on its API calls.
      {"GET", "/", A::kPublic, Bucket::kOther, B::kNone, Bind(h.ui, &UiHandlers::RedirectRoot)},
      {"GET", "/ui", A::kPublic, Bucket::kOther, B::kNone, Bind(h.ui, &UiHandlers::Redirect)},
      {"GET", "/ui/{path*}", A::kPublic, Bucket::kOther, B::kNone, Bind(h.ui, &UiHandlers::Serve)},
  };
}

}  // namespace vigil
